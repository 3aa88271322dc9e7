/**
 * The points ledger's vocabulary: the kinds of entry, and why the ledger refuses an append. The store keeps the entries
 * (store/ledger.ts); reconciliation re-derives them (domain/reconciliation.ts).
 */
import type { PointsSchedule } from './points-expiry';

export const LEDGER_TYPES = ['EARN', 'ADJUST', 'HOLD', 'RELEASE', 'CAPTURE', 'DEBIT', 'REFUND', 'EXPIRE'] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

/**
 * A member's newest ledger entry, as far as a reader knows: its number, the balances after it, and the expiry schedule
 * after it (absent from entries written before points expired: then no point expires).
 */
export interface LedgerHeadState {
  seq: number;
  balance_after: number;
  held_after: number;
  lots_after?: PointsSchedule;
}

/** What an entry's deltas say of the points it moved: a RELEASE or REFUND of points past their date expired some. */
export interface MovedPoints {
  type: LedgerType;
  balance_delta: number;
  held_delta: number;
  points_expired?: number;
}

/** The points an entry moves as it was asked to (signed for ADJUST), expired ones included. */
export function pointsOfEntry({ type, balance_delta, held_delta, points_expired = 0 }: MovedPoints): number {
  switch (type) {
    case 'ADJUST':
      return balance_delta;
    case 'HOLD':
    case 'RELEASE':
      return Math.abs(held_delta);
    case 'REFUND':
      return balance_delta + points_expired;
    default:
      return Math.abs(balance_delta);
  }
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
