/**
 * How much of each redemption limit is in use: per scope (domain/limits.ts), a numbered log of claims and releases,
 * each entry carrying the count after it, so that a limit holds exactly however many workers claim at once
 * (store/numbered-log.ts). A claim is refused when it would take the count past the limit; a release takes one off.
 */
import type { Collection, Db } from 'mongodb';
import { LIMIT_REFUSALS, limitScopes, type LimitKind, type LimitRefusal, type OptionLimits } from '../domain/limits';
import { NumberedLog, numberedEntryId, type NumberedEntry } from './numbered-log';

export interface UsageEntry extends NumberedEntry {
  scope: string;
  kind: 'claim' | 'release';
  count_after: number;
  redemption_id: string;
  /** Why a slot was given back: the status its redemption ended in, or the limit that refused its other slot. */
  cause?: string;
  created_at: Date;
}

type UsageHead = Pick<UsageEntry, 'seq' | 'count_after'>;
const EMPTY: UsageHead = { seq: 0, count_after: 0 };

export class LimitReachedError extends Error {
  constructor(
    readonly scope: string,
    readonly limit: number,
  ) {
    super(`The limit of ${limit} in ${scope} is reached.`);
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

/** The idempotency key of a redemption's claim, or release, of its slot in one kind of limit. */
export function usageKey(redemptionId: string, kind: LimitKind, step: 'claim' | 'release'): string {
  // Not keyed by the scope: a claim retried after midnight finds the slot it took the day before.
  return `${redemptionId}:${kind}:${step}`;
}

export class LimitUsage {
  private readonly log: NumberedLog<UsageEntry, UsageHead>;

  constructor(db: Db) {
    this.log = new NumberedLog<UsageEntry, UsageHead>(
      db.collection<UsageEntry>('limit_usage'),
      db.collection('limit_usage_heads') as Collection<UsageHead & { _id: string }>,
      {
        empty: EMPTY,
        headOf: ({ seq, count_after }) => ({ seq, count_after }),
        contentionError: (scope, attempts) => new UsageContentionError(scope, attempts),
      },
    );
  }

  /** Slots in use in a scope. */
  async count(scope: string): Promise<number> {
    return (await this.log.head(scope)).count_after;
  }

  /** The first of an option's limits with no room left for the member now, if one is full; it takes nothing. */
  async refusalFor(
    limits: OptionLimits,
    optionId: number,
    memberId: string,
    at: Date,
  ): Promise<LimitRefusal | undefined> {
    for (const { kind, scope, limit } of limitScopes(limits, optionId, memberId, at)) {
      if ((await this.count(scope)) >= limit) return LIMIT_REFUSALS[kind];
    }
    return undefined;
  }

  /**
   * Takes one slot of `scope`, or returns the claim already written under the key (possibly in an earlier period's
   * scope). Throws LimitReachedError when the scope has no slot left.
   */
  claim(request: { scope: string; limit: number; idempotencyKey: string; redemptionId: string }) {
    return this.log.append({
      log: request.scope,
      idempotencyKey: request.idempotencyKey,
      next: (head, createdAt) => entryAfter(head, request, 'claim', createdAt),
      refusal: (entry) =>
        entry.count_after > request.limit ? new LimitReachedError(request.scope, request.limit) : undefined,
      checkEarlier: (existing) => sameRedemption(existing, request, 'claim'),
    });
  }

  /** Gives one slot of `scope` back; once per key. */
  release(request: { scope: string; idempotencyKey: string; redemptionId: string; cause: string }) {
    return this.log.append({
      log: request.scope,
      idempotencyKey: request.idempotencyKey,
      next: (head, createdAt) => ({ ...entryAfter(head, request, 'release', createdAt), cause: request.cause }),
      refusal: () => undefined,
      checkEarlier: (existing) => sameRedemption(existing, request, 'release'),
    });
  }

  entryWithKey(idempotencyKey: string): Promise<UsageEntry | null> {
    return this.log.entryWithKey(idempotencyKey);
  }
}

function entryAfter(
  head: UsageHead,
  request: { scope: string; idempotencyKey: string; redemptionId: string },
  kind: UsageEntry['kind'],
  createdAt: Date,
): UsageEntry {
  const seq = head.seq + 1;
  return {
    _id: numberedEntryId(request.scope, seq),
    seq,
    idempotency_key: request.idempotencyKey,
    scope: request.scope,
    kind,
    count_after: head.count_after + (kind === 'claim' ? 1 : -1),
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
