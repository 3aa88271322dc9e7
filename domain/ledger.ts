/**
 * The points ledger's vocabulary: the kinds of entry, and why the ledger refuses an append. The store keeps the entries
 * (store/ledger.ts); reconciliation re-derives them (domain/reconciliation.ts).
 */
export const LEDGER_TYPES = ['EARN', 'ADJUST', 'HOLD', 'RELEASE', 'CAPTURE', 'DEBIT', 'REFUND'] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

/** A member's newest ledger entry, as far as a reader knows: its number and the balances after it. */
export interface LedgerHeadState {
  seq: number;
  balance_after: number;
  held_after: number;
}

export class InsufficientPointsError extends Error {
  constructor(
    readonly available: number,
    readonly requested: number,
  ) {
    super(`Only ${available} points are available; ${requested} are needed.`);
  }
}

export class LedgerContentionError extends Error {
  constructor(memberId: string, attempts: number) {
    super(`Could not append to the ledger of member ${memberId} after ${attempts} attempts under contention.`);
  }
}

export class IdempotencyKeyConflictError extends Error {
  constructor(key: string) {
    super(`Idempotency key ${key} was already used for a different ledger entry.`);
  }
}
