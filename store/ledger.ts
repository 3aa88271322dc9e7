/**
 * The points ledger: append-only entries, each carrying the member's running balances after it.
 *
 * Concurrency: FerretDB v1 does not make update/findAndModify atomic, and neither server gives us transactions
 * here, so no balance is ever updated in place. Each entry takes the next sequence number of its member, and a
 * unique index on (member_id, seq) lets exactly one of two racing writers have it; the loser re-reads and tries
 * again (optimistic concurrency). The entry's _id is its idempotency key, so writing a key twice has the effect of
 * once. A member's balances are those of their newest entry, which by construction is the fold of all of them.
 */
import { MongoServerError, type Collection, type Db } from 'mongodb';

export const LEDGER_TYPES = ['EARN', 'ADJUST', 'HOLD', 'RELEASE', 'CAPTURE', 'DEBIT', 'REFUND'] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

export interface LedgerEntry {
  _id: string;
  member_id: string;
  seq: number;
  type: LedgerType;
  /** Signed change to points_balance. */
  balance_delta: number;
  /** Signed change to points_held. */
  held_delta: number;
  balance_after: number;
  held_after: number;
  redemption_id?: string;
  reason?: string;
  created_at: Date;
}

export interface Balances {
  points_balance: number;
  points_held: number;
  points_available: number;
}

export interface AppendRequest {
  memberId: string;
  type: LedgerType;
  /** Positive magnitude, except ADJUST which is signed. */
  points: number;
  idempotencyKey: string;
  redemptionId?: string;
  reason?: string;
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

const MAX_ATTEMPTS = 64;
const DUPLICATE_KEY = 11000;

function deltasFor(type: LedgerType, points: number): { balance: number; held: number } {
  switch (type) {
    case 'EARN':
    case 'REFUND':
      return { balance: points, held: 0 };
    case 'ADJUST':
      return { balance: points, held: 0 };
    case 'DEBIT':
      return { balance: -points, held: 0 };
    case 'HOLD':
      return { balance: 0, held: points };
    case 'RELEASE':
      return { balance: 0, held: -points };
    case 'CAPTURE':
      return { balance: -points, held: -points };
  }
}

export function balancesOf(entry: Pick<LedgerEntry, 'balance_after' | 'held_after'> | null): Balances {
  const balance = entry?.balance_after ?? 0;
  const held = entry?.held_after ?? 0;
  return { points_balance: balance, points_held: held, points_available: balance - held };
}

export class Ledger {
  private readonly entries: Collection<LedgerEntry>;
  /** The last queued append of each member in this process. */
  private readonly memberQueues = new Map<string, Promise<unknown>>();

  constructor(db: Db) {
    this.entries = db.collection<LedgerEntry>('ledger');
  }

  /**
   * Runs one member's appends from this process one after another, so that they do not lose optimistic-concurrency
   * races to each other; writers in other processes are still kept honest by the unique index.
   */
  private queuedFor<T>(memberId: string, run: () => Promise<T>): Promise<T> {
    const previous = this.memberQueues.get(memberId) ?? Promise.resolve();
    const result = previous.then(run);
    const settled = result.catch(() => undefined);
    this.memberQueues.set(memberId, settled);
    void settled.then(() => {
      if (this.memberQueues.get(memberId) === settled) this.memberQueues.delete(memberId);
    });
    return result;
  }

  async balances(memberId: string): Promise<Balances> {
    return balancesOf(await this.head(memberId));
  }

  private head(memberId: string): Promise<LedgerEntry | null> {
    return this.entries.findOne({ member_id: memberId }, { sort: { seq: -1 } });
  }

  /**
   * Appends one entry, or returns the entry already written under the same idempotency key. Throws
   * InsufficientPointsError when the entry would make points_available (or points_held) negative.
   */
  append(request: AppendRequest): Promise<{ entry: LedgerEntry; duplicate: boolean }> {
    return this.queuedFor(request.memberId, () => this.appendOnce(request));
  }

  private async appendOnce(request: AppendRequest): Promise<{ entry: LedgerEntry; duplicate: boolean }> {
    const deltas = deltasFor(request.type, request.points);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const existing = await this.entries.findOne({ _id: request.idempotencyKey });
      if (existing) {
        if (
          existing.member_id !== request.memberId ||
          existing.type !== request.type ||
          existing.balance_delta !== deltas.balance ||
          existing.held_delta !== deltas.held
        ) {
          throw new IdempotencyKeyConflictError(request.idempotencyKey);
        }
        return { entry: existing, duplicate: true };
      }
      const head = await this.head(request.memberId);
      const before = balancesOf(head);
      const balanceAfter = before.points_balance + deltas.balance;
      const heldAfter = before.points_held + deltas.held;
      if (heldAfter < 0 || balanceAfter - heldAfter < 0) {
        throw new InsufficientPointsError(before.points_available, Math.abs(deltas.balance - deltas.held));
      }
      const entry: LedgerEntry = {
        _id: request.idempotencyKey,
        member_id: request.memberId,
        seq: (head?.seq ?? 0) + 1,
        type: request.type,
        balance_delta: deltas.balance,
        held_delta: deltas.held,
        balance_after: balanceAfter,
        held_after: heldAfter,
        ...(request.redemptionId ? { redemption_id: request.redemptionId } : {}),
        ...(request.reason ? { reason: request.reason } : {}),
        created_at: new Date(),
      };
      try {
        await this.entries.insertOne(entry);
        return { entry, duplicate: false };
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
        // Another writer took this seq (or this key): re-read and try again after a short, jittered pause.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 5)));
      }
    }
    throw new LedgerContentionError(request.memberId, MAX_ATTEMPTS);
  }

  /** Newest first, unless asked for oldest first. */
  async list(
    memberId: string,
    page: { skip: number; limit: number; oldestFirst?: boolean },
  ): Promise<{ entries: LedgerEntry[]; total: number }> {
    const sort = { seq: page.oldestFirst ? 1 : -1 } as const;
    const [entries, total] = await Promise.all([
      this.entries.find({ member_id: memberId }, { sort, skip: page.skip, limit: page.limit }).toArray(),
      this.entries.countDocuments({ member_id: memberId }),
    ]);
    return { entries, total };
  }

  async entriesOfRedemption(redemptionId: string): Promise<LedgerEntry[]> {
    return this.entries.find({ redemption_id: redemptionId }, { sort: { seq: 1 } }).toArray();
  }
}
