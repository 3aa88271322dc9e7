/**
 * The points ledger: append-only entries, each carrying the member's running balances after it.
 *
 * Concurrency: FerretDB v1 does not make update/findAndModify atomic, and neither server gives us transactions
 * here, so no balance is ever updated in place. A member's entries are numbered 1, 2, 3…, and the n-th one has the
 * _id `<member>/<n>`: of two writers racing for the next number exactly one can insert it, and the loser re-reads
 * and tries again (optimistic concurrency). A unique index on the idempotency key makes writing a key twice have the
 * effect of once. A member's balances are those of their newest entry, which by construction is the fold of all.
 *
 * Cost does not grow with history: every read is by _id or by an indexed equality that matches a bounded number of
 * entries. `ledger_heads` remembers each member's newest entry number; it is only a hint (it may lag after a crash,
 * never lead), because the insert of the next number is what proves the head.
 */
import { MongoServerError, type Collection, type Db } from 'mongodb';

export const LEDGER_TYPES = ['EARN', 'ADJUST', 'HOLD', 'RELEASE', 'CAPTURE', 'DEBIT', 'REFUND'] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

export interface LedgerEntry {
  /** `<member_id>/<seq>`. */
  _id: string;
  idempotency_key: string;
  member_id: string;
  seq: number;
  /** The block of BLOCK_SIZE consecutive entries this one belongs to: a page of the ledger reads whole blocks. */
  block: string;
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

/** The newest entry of a member, as far as this hint knows. */
interface LedgerHead {
  _id: string;
  seq: number;
  balance_after: number;
  held_after: number;
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
const BLOCK_SIZE = 50;
const DUPLICATE_KEY = 11000;

export function ledgerEntryId(memberId: string, seq: number): string {
  return `${memberId}/${seq}`;
}

function blockOf(memberId: string, seq: number): string {
  return `${memberId}/${Math.floor((seq - 1) / BLOCK_SIZE)}`;
}

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

type Head = Pick<LedgerHead, 'seq' | 'balance_after' | 'held_after'>;
const EMPTY_HEAD: Head = { seq: 0, balance_after: 0, held_after: 0 };

/** Whether balances would leave points_held, or points_available, negative. */
function overdraws({ balance_after, held_after }: Pick<Head, 'balance_after' | 'held_after'>): boolean {
  return held_after < 0 || balance_after - held_after < 0;
}

/** The entry that follows `head`; the caller checks that it does not overdraw. */
function entryAfter(head: Head, request: AppendRequest, createdAt: Date): LedgerEntry {
  const deltas = deltasFor(request.type, request.points);
  const seq = head.seq + 1;
  return {
    _id: ledgerEntryId(request.memberId, seq),
    idempotency_key: request.idempotencyKey,
    member_id: request.memberId,
    seq,
    block: blockOf(request.memberId, seq),
    type: request.type,
    balance_delta: deltas.balance,
    held_delta: deltas.held,
    balance_after: head.balance_after + deltas.balance,
    held_after: head.held_after + deltas.held,
    ...(request.redemptionId ? { redemption_id: request.redemptionId } : {}),
    ...(request.reason ? { reason: request.reason } : {}),
    created_at: createdAt,
  };
}

/** An entry of a history being imported: what an append would have been asked, and when it happened. */
export type ImportedEntry = Omit<AppendRequest, 'memberId'> & { created_at: Date };

/** Told of every append that lost a race for the member's next entry number and tries again (for metrics). */
export interface LedgerObserver {
  contentionRetry?(): void;
}

export class Ledger {
  private readonly entries: Collection<LedgerEntry>;
  private readonly heads: Collection<LedgerHead>;
  /** The last queued append of each member in this process. */
  private readonly memberQueues = new Map<string, Promise<unknown>>();

  constructor(
    db: Db,
    private readonly observer: LedgerObserver = {},
  ) {
    this.entries = db.collection<LedgerEntry>('ledger');
    this.heads = db.collection<LedgerHead>('ledger_heads');
  }

  /**
   * Runs one member's appends from this process one after another, so that they do not lose optimistic-concurrency
   * races to each other; writers in other processes are still kept honest by the entry numbers.
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

  /** The member's newest entry: the hint, then forward past anything written after it. */
  private async head(memberId: string): Promise<Head> {
    const hint = await this.heads.findOne({ _id: memberId });
    return this.newestFrom(memberId, hint ?? EMPTY_HEAD);
  }

  private async newestFrom(memberId: string, known: Head): Promise<Head> {
    let newest = known;
    for (;;) {
      const next = await this.entries.findOne({ _id: ledgerEntryId(memberId, newest.seq + 1) });
      if (!next) return newest;
      newest = next;
    }
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
    // The hint is trusted until an insert proves it stale; then the true head is found by reading forward.
    let head: Head = (await this.heads.findOne({ _id: request.memberId })) ?? EMPTY_HEAD;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const entry = entryAfter(head, request, new Date());
      if (overdraws(entry)) {
        // A retried step whose entry was written before must get that entry back, not a refusal.
        const earlier = await this.earlierEntry(request, deltas);
        if (earlier) return earlier;
        const newest = await this.newestFrom(request.memberId, head);
        if (newest.seq === head.seq) {
          throw new InsufficientPointsError(balancesOf(head).points_available, Math.abs(deltas.balance - deltas.held));
        }
        head = newest;
        continue;
      }
      try {
        await this.entries.insertOne(entry);
        await this.rememberHead(request.memberId, entry);
        return { entry, duplicate: false };
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      }
      // Either this key was written before, or another writer took this number.
      const earlier = await this.earlierEntry(request, deltas);
      if (earlier) return earlier;
      this.observer.contentionRetry?.();
      head = await this.newestFrom(request.memberId, head);
      await this.rememberHead(request.memberId, head);
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 5)));
    }
    throw new LedgerContentionError(request.memberId, MAX_ATTEMPTS);
  }

  /**
   * Imports the whole history of members that have no entries yet (a merchant's existing ledger, migrated in bulk),
   * in the layout appends write: numbered entries with their running balances, and each member's head. Refuses a
   * history that would make a balance negative; a repeated import fails on the entries' unique keys.
   */
  async importHistories(histories: Array<{ memberId: string; entries: ImportedEntry[] }>): Promise<void> {
    const entries: LedgerEntry[] = [];
    const heads: LedgerHead[] = [];
    for (const { memberId, entries: imported } of histories) {
      let head: Head = EMPTY_HEAD;
      for (const { created_at, ...request } of imported) {
        const entry = entryAfter(head, { ...request, memberId }, created_at);
        if (overdraws(entry)) {
          throw new InsufficientPointsError(balancesOf(head).points_available, request.points);
        }
        entries.push(entry);
        head = entry;
      }
      if (head.seq > 0) {
        heads.push({ _id: memberId, seq: head.seq, balance_after: head.balance_after, held_after: head.held_after });
      }
    }
    if (entries.length > 0) await this.entries.insertMany(entries, { ordered: false });
    if (heads.length > 0) await this.heads.insertMany(heads, { ordered: false });
  }

  private async earlierEntry(
    request: AppendRequest,
    deltas: { balance: number; held: number },
  ): Promise<{ entry: LedgerEntry; duplicate: true } | undefined> {
    const existing = await this.entries.findOne({ idempotency_key: request.idempotencyKey });
    if (!existing) return undefined;
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

  /** Moves the hint; racing writers may leave it behind the true head, which only costs a read forward later. */
  private async rememberHead(memberId: string, head: Head): Promise<void> {
    const { seq, balance_after, held_after } = head;
    try {
      await this.heads.replaceOne({ _id: memberId }, { seq, balance_after, held_after }, { upsert: true });
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    }
  }

  /**
   * One page of a member's entries, newest first unless asked for oldest first. Entry numbers are dense, so the page
   * is a known range of numbers, read as the few blocks that hold it.
   */
  async list(
    memberId: string,
    page: { skip: number; limit: number; oldestFirst?: boolean },
  ): Promise<{ entries: LedgerEntry[]; total: number }> {
    const total = (await this.head(memberId)).seq;
    const [from, to] = page.oldestFirst
      ? [page.skip + 1, Math.min(total, page.skip + page.limit)]
      : [Math.max(1, total - page.skip - page.limit + 1), total - page.skip];
    if (from > to) return { entries: [], total };
    const blocks = new Set<string>();
    for (let seq = from; seq <= to; seq += BLOCK_SIZE) blocks.add(blockOf(memberId, seq));
    blocks.add(blockOf(memberId, to));
    const found = await Promise.all([...blocks].map((block) => this.entries.find({ block }).toArray()));
    const entries = found
      .flat()
      .filter((entry) => entry.seq >= from && entry.seq <= to)
      .sort((a, b) => (page.oldestFirst ? a.seq - b.seq : b.seq - a.seq));
    return { entries, total };
  }

  async entriesOfRedemption(redemptionId: string): Promise<LedgerEntry[]> {
    const entries = await this.entries.find({ redemption_id: redemptionId }).toArray();
    return entries.sort((a, b) => a.seq - b.seq);
  }
}
