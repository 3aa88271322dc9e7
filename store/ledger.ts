/**
 * The points ledger: append-only entries, each carrying the member's running balances after it.
 *
 * Each member's entries are a numbered log (store/numbered-log.ts): the n-th one has the _id `<member>/<n>`, so of two
 * writers racing for the next number exactly one can insert it, and a unique idempotency key makes writing a key
 * twice have the effect of once. A member's balances are those of their newest entry, which by construction is the
 * fold of all. `ledger_heads` remembers each member's newest entry number, as a hint.
 */
import type { Collection, Db } from 'mongodb';
import {
  IdempotencyKeyConflictError,
  InsufficientPointsError,
  LedgerContentionError,
  type LedgerHeadState,
  type LedgerType,
} from '../domain/ledger';

export type { LedgerHeadState } from '../domain/ledger';
import { BLOCK_SIZE, NumberedLog, blockOf, numberedEntryId, readRange } from './numbered-log';

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
export interface LedgerHead {
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
  /** The member's head as the caller read it a moment ago (see hintedBalances), which saves reading it again. */
  knownHead?: LedgerHeadState | undefined;
}

export function ledgerEntryId(memberId: string, seq: number): string {
  return numberedEntryId(memberId, seq);
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

type Head = LedgerHeadState;
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
  private readonly log: NumberedLog<LedgerEntry, Head>;

  constructor(db: Db, observer: LedgerObserver = {}) {
    this.entries = db.collection<LedgerEntry>('ledger');
    this.heads = db.collection<LedgerHead>('ledger_heads');
    this.log = new NumberedLog<LedgerEntry, Head>(this.entries, this.heads, {
      empty: EMPTY_HEAD,
      headOf: ({ seq, balance_after, held_after }) => ({ seq, balance_after, held_after }),
      contentionError: (memberId, attempts) => new LedgerContentionError(memberId, attempts),
      contentionRetry: () => observer.contentionRetry?.(),
    });
  }

  async balances(memberId: string): Promise<Balances> {
    return balancesOf(await this.log.head(memberId));
  }

  /**
   * The balances as the newest-entry hint has them, in one read: exact unless a writer died between an entry and the
   * hint, when they miss that entry. Good for a decision an append then checks again; the head is for that append.
   */
  async hintedBalances(memberId: string): Promise<{ balances: Balances; head: LedgerHeadState }> {
    const head = await this.log.hintedHead(memberId);
    return {
      balances: balancesOf(head),
      head: { seq: head.seq, balance_after: head.balance_after, held_after: head.held_after },
    };
  }

  /**
   * Appends one entry, or returns the entry already written under the same idempotency key. Throws
   * InsufficientPointsError when the entry would make points_available (or points_held) negative.
   */
  append(request: AppendRequest): Promise<{ entry: LedgerEntry; duplicate: boolean }> {
    const deltas = deltasFor(request.type, request.points);
    return this.log.append({
      log: request.memberId,
      idempotencyKey: request.idempotencyKey,
      knownHead: request.knownHead,
      next: (head, createdAt) => entryAfter(head, request, createdAt),
      refusal: (entry, head) =>
        overdraws(entry)
          ? new InsufficientPointsError(balancesOf(head).points_available, Math.abs(deltas.balance - deltas.held))
          : undefined,
      checkEarlier: (existing) => {
        if (
          existing.member_id !== request.memberId ||
          existing.type !== request.type ||
          existing.balance_delta !== deltas.balance ||
          existing.held_delta !== deltas.held
        ) {
          throw new IdempotencyKeyConflictError(request.idempotencyKey);
        }
      },
    });
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

  /**
   * One page of a member's entries, newest first unless asked for oldest first. Entry numbers are dense, so the page
   * is a known range of numbers, read as the few blocks that hold it.
   */
  async list(
    memberId: string,
    page: { skip: number; limit: number; oldestFirst?: boolean },
  ): Promise<{ entries: LedgerEntry[]; total: number }> {
    const total = (await this.log.head(memberId)).seq;
    const [from, to] = page.oldestFirst
      ? [page.skip + 1, Math.min(total, page.skip + page.limit)]
      : [Math.max(1, total - page.skip - page.limit + 1), total - page.skip];
    const entries = await readRange(
      memberId,
      from,
      to,
      (block) => this.entries.find({ block }).toArray(),
      page.oldestFirst ? 'oldest first' : 'newest first',
    );
    return { entries, total };
  }

  /** The member's head hint as stored (none before the first append finished), for reconciliation to check. */
  /** The entry written under an idempotency key, if any (a read of its unique index). */
  entryWithKey(idempotencyKey: string): Promise<LedgerEntry | null> {
    return this.log.entryWithKey(idempotencyKey);
  }

  headHint(memberId: string): Promise<LedgerHead | null> {
    return this.heads.findOne({ _id: memberId });
  }

  /**
   * All of a member's entries, oldest first, one block at a time: memory holds a block, not a history. Reading goes on
   * past an empty block up to the block of `throughSeq` (the head hint), so a lost block shows as missing entries.
   */
  async *blocksOf(memberId: string, throughSeq = 0): AsyncGenerator<LedgerEntry[]> {
    const lastHinted = throughSeq > 0 ? Math.floor((throughSeq - 1) / BLOCK_SIZE) : -1;
    for (let index = 0; ; index++) {
      const entries = await this.entries.find({ block: `${memberId}/${index}` }).toArray();
      if (entries.length === 0 && index > lastHinted) return;
      yield entries.sort((a, b) => a.seq - b.seq);
    }
  }

  async entriesOfRedemption(redemptionId: string): Promise<LedgerEntry[]> {
    const entries = await this.entries.find({ redemption_id: redemptionId }).toArray();
    return entries.sort((a, b) => a.seq - b.seq);
  }
}
