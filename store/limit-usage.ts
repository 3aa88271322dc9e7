/**
 * How much of each redemption limit is in use: per scope (domain/limits.ts), a numbered log of claims and releases,
 * each entry carrying the count after it, so that a limit holds exactly however many workers claim at once
 * (store/numbered-log.ts). A claim is refused when it would take the count past the limit; a release takes one off.
 *
 * A slot is undecided from its claim until its redemption's points are reserved (`settle`): until then the redemption
 * may still fail for lack of points and give the slot back. Entries also carry how many slots are undecided, so that a
 * claim that finds no room is refused only when the decided slots fill the limit; while undecided ones could free it,
 * the claim is told to come back (LimitUndecidedError), and a redemption that fails for its points never turns another
 * away with a limit it did not end up using.
 */
import type { Collection, Db } from 'mongodb';
import { LIMIT_REFUSALS, limitScopes, type LimitKind, type LimitRefusal, type OptionLimits } from '../domain/limits';
import { NumberedLog, numberedEntryId, type NumberedEntry } from './numbered-log';

export interface UsageEntry extends NumberedEntry {
  scope: string;
  /** `settle`: the claim's redemption reserved its points; the slot is decided. */
  kind: 'claim' | 'release' | 'settle';
  count_after: number;
  /** Claims not settled nor released after this entry; absent on entries written before slots were settled. */
  undecided_after?: number;
  /** On a claim: it is undecided until settled (absent on claims written before slots were settled: decided). */
  undecided?: boolean;
  redemption_id: string;
  /** Why a slot was given back: the status its redemption ended in, or the limit that refused its other slot. */
  cause?: string;
  created_at: Date;
}

type UsageHead = Pick<UsageEntry, 'seq' | 'count_after' | 'undecided_after'>;
const EMPTY: UsageHead = { seq: 0, count_after: 0, undecided_after: 0 };

export class LimitReachedError extends Error {
  constructor(
    readonly scope: string,
    readonly limit: number,
  ) {
    super(`The limit of ${limit} in ${scope} is reached.`);
  }
}

/** No room now, but undecided slots may yet be given back: the claim is to be made again shortly. */
export class LimitUndecidedError extends Error {
  constructor(
    readonly scope: string,
    readonly undecided: number,
  ) {
    super(`The limit in ${scope} is full, ${undecided} of its slots held by redemptions not decided yet.`);
  }
}

class UsageContentionError extends Error {
  constructor(scope: string, attempts: number) {
    super(`Could not count a redemption in ${scope} after ${attempts} attempts under contention.`);
  }
}

class UsageKeyConflictError extends Error {
  constructor(key: string) {
    super(`Idempotency key ${key} was already used for a different limit entry.`);
  }
}

/** The idempotency key of a redemption's claim, settling, or release of its slot in one kind of limit. */
export function usageKey(redemptionId: string, kind: LimitKind, step: 'claim' | 'settle' | 'release'): string {
  // Not keyed by the scope: a claim retried after midnight finds the slot it took the day before.
  return `${redemptionId}:${kind}:${step}`;
}

/** A redemption's slot in one limit, in the scope it was claimed in. */
type SlotOf = { scope: string; redemptionId: string; kind: LimitKind };

export class LimitUsage {
  private readonly log: NumberedLog<UsageEntry, UsageHead>;

  constructor(db: Db) {
    this.log = new NumberedLog<UsageEntry, UsageHead>(
      db.collection<UsageEntry>('limit_usage'),
      db.collection('limit_usage_heads') as Collection<UsageHead & { _id: string }>,
      {
        empty: EMPTY,
        headOf: ({ seq, count_after, undecided_after }) => ({ seq, count_after, undecided_after }),
        contentionError: (scope, attempts) => new UsageContentionError(scope, attempts),
      },
    );
  }

  /** Slots in use in a scope. */
  async count(scope: string): Promise<number> {
    return (await this.log.head(scope)).count_after;
  }

  /** Each of an option's limits with no room left for the member now, per-member first; it takes nothing. */
  async refusalsFor(limits: OptionLimits, optionId: number, memberId: string, at: Date): Promise<LimitRefusal[]> {
    const refusals: LimitRefusal[] = [];
    for (const { kind, scope, limit } of limitScopes(limits, optionId, memberId, at)) {
      if ((await this.count(scope)) >= limit) refusals.push(LIMIT_REFUSALS[kind]);
    }
    return refusals;
  }

  /**
   * Takes one undecided slot of `scope`, or returns the claim already written under the key (possibly in an earlier
   * period's scope). Throws LimitReachedError when decided slots fill the scope, LimitUndecidedError when undecided
   * ones may still free a slot.
   */
  claim(request: {
    scope: string;
    limit: number;
    idempotencyKey: string;
    redemptionId: string;
    /** Refuse with LimitReachedError whether or not the slots are decided. */
    undecidedAsTaken?: boolean;
  }) {
    return this.log.append({
      log: request.scope,
      idempotencyKey: request.idempotencyKey,
      next: (head, createdAt) => ({ ...entryAfter(head, request, 'claim', createdAt, 1), undecided: true }),
      refusal: (entry, head) => {
        if (entry.count_after <= request.limit) return undefined;
        const undecided = request.undecidedAsTaken ? 0 : (head.undecided_after ?? 0);
        if (head.count_after - undecided >= request.limit) return new LimitReachedError(request.scope, request.limit);
        return new LimitUndecidedError(request.scope, undecided);
      },
      checkEarlier: (existing) => sameRedemption(existing, request, 'claim'),
    });
  }

  /**
   * The redemption holding the slot (claimed under its usageKey) reserved its points: the slot is decided. Once per
   * slot; nothing for a claim written before slots were settled.
   */
  async settle(slot: SlotOf) {
    if (!(await this.undecided(slot))) return;
    const request = { ...slot, idempotencyKey: usageKey(slot.redemptionId, slot.kind, 'settle') };
    await this.log.append({
      log: slot.scope,
      idempotencyKey: request.idempotencyKey,
      next: (head, createdAt) => entryAfter(head, request, 'settle', createdAt, -1),
      refusal: () => undefined,
      checkEarlier: (existing) => sameRedemption(existing, request, 'settle'),
    });
  }

  /** Gives the redemption's slot back, with its undecidedness if its points were never reserved; once per slot. */
  async release(slot: SlotOf & { cause: string }) {
    const undecided = await this.undecided(slot);
    const request = { ...slot, idempotencyKey: usageKey(slot.redemptionId, slot.kind, 'release') };
    return this.log.append({
      log: slot.scope,
      idempotencyKey: request.idempotencyKey,
      next: (head, createdAt) => ({
        ...entryAfter(head, request, 'release', createdAt, undecided ? -1 : 0),
        cause: slot.cause,
      }),
      refusal: () => undefined,
      checkEarlier: (existing) => sameRedemption(existing, request, 'release'),
    });
  }

  /** Whether the redemption's slot was claimed undecided and is neither settled nor given back yet. */
  private async undecided({ redemptionId, kind }: SlotOf): Promise<boolean> {
    const [claim, settled, released] = await Promise.all(
      (['claim', 'settle', 'release'] as const).map((step) => this.entryWithKey(usageKey(redemptionId, kind, step))),
    );
    return claim?.undecided === true && !settled && !released;
  }

  entryWithKey(idempotencyKey: string): Promise<UsageEntry | null> {
    return this.log.entryWithKey(idempotencyKey);
  }
}

/** The entry after `head`: a claim counts one slot more, a release one less; `undecided` is that count's change. */
function entryAfter(
  head: UsageHead,
  request: { scope: string; idempotencyKey: string; redemptionId: string },
  kind: UsageEntry['kind'],
  createdAt: Date,
  undecided: number,
): UsageEntry {
  const seq = head.seq + 1;
  const slots = { claim: 1, settle: 0, release: -1 }[kind];
  return {
    _id: numberedEntryId(request.scope, seq),
    seq,
    idempotency_key: request.idempotencyKey,
    scope: request.scope,
    kind,
    count_after: head.count_after + slots,
    undecided_after: Math.max(0, (head.undecided_after ?? 0) + undecided),
    redemption_id: request.redemptionId,
    created_at: createdAt,
  };
}

function sameRedemption(
  existing: UsageEntry,
  request: { idempotencyKey: string; redemptionId: string },
  kind: UsageEntry['kind'],
): void {
  if (existing.kind !== kind || existing.redemption_id !== request.redemptionId) {
    throw new UsageKeyConflictError(request.idempotencyKey);
  }
}
