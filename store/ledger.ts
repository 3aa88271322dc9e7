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
import {
  EMPTY_SCHEDULE,
  ExpiryInPastError,
  refundedLots,
  scheduleAfter,
  scheduleBeforeExpiry,
  type Lot,
  type PointsSchedule,
  type ScheduleChange,
} from '../domain/points-expiry';

export type { LedgerHeadState } from '../domain/ledger';
import { ExpiryDates } from './expiry-dates';
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
  /** The member's expiry schedule after this entry (absent from entries written before points expired). */
  lots_after?: PointsSchedule;
  /** DEBIT, CAPTURE or ADJUST down: the lots it spent, which a refund gives back. */
  lots_taken?: Lot[];
  /** RELEASE, REFUND or EXPIRE: the points that left the balance as expired. */
  points_expired?: number;
  /** EARN: when its points expire; EXPIRE: the date whose points it expired. */
  expires_at?: string;
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
  lots_after?: PointsSchedule;
}

export interface Balances {
  points_balance: number;
  points_held: number;
  points_available: number;
}

export interface AppendRequest {
  memberId: string;
  type: LedgerType;
  /** Positive magnitude, except ADJUST which is signed; EXPIRE's is what is left at its date (given as 0). */
  points: number;
  /** EARN: when its points expire (an ISO instant after the append), none for never; EXPIRE: the date to expire. */
  expiresAt?: string | undefined;
  /** REFUND: the lots it gives back (by default, never-expiring points). */
  lotsBack?: Lot[];
  idempotencyKey: string;
  redemptionId?: string;
  reason?: string;
  /** The member's head as the caller read it a moment ago (see hintedBalances), which saves reading it again. */
  knownHead?: LedgerHeadState | undefined;
}

export function ledgerEntryId(memberId: string, seq: number): string {
  return numberedEntryId(memberId, seq);
}

/**
 * The deltas of an entry, given the points of it that expired (a release or refund past their date, an expiry).
 * `0 - expired` keeps a zero delta +0, which the store would keep as -0.
 */
function deltasFor(type: LedgerType, points: number, expired: number): { balance: number; held: number } {
  switch (type) {
    case 'EARN':
    case 'ADJUST':
      return { balance: points, held: 0 };
    case 'REFUND':
      return { balance: points - expired, held: 0 };
    case 'DEBIT':
      return { balance: -points, held: 0 };
    case 'HOLD':
      return { balance: 0, held: points };
    case 'RELEASE':
      return { balance: 0 - expired, held: -points };
    case 'CAPTURE':
      return { balance: -points, held: -points };
    case 'EXPIRE':
      return { balance: 0 - expired, held: 0 };
  }
}

/** How an entry changes the member's expiry schedule. */
function scheduleChangeOf(request: AppendRequest): ScheduleChange {
  const redemptionId = request.redemptionId ?? request.idempotencyKey;
  switch (request.type) {
    case 'EARN':
      return { kind: 'add', lots: [{ expires_at: request.expiresAt ?? null, points: request.points }] };
    case 'ADJUST':
      return request.points > 0
        ? { kind: 'add', lots: [{ expires_at: null, points: request.points }] }
        : { kind: 'spend', points: -request.points };
    case 'DEBIT':
      return { kind: 'spend', points: request.points };
    case 'HOLD':
      return { kind: 'hold', redemptionId, points: request.points };
    case 'RELEASE':
      return { kind: 'release', redemptionId, points: request.points };
    case 'CAPTURE':
      return { kind: 'capture', redemptionId, points: request.points };
    case 'REFUND':
      return { kind: 'give back', lots: request.lotsBack ?? [{ expires_at: null, points: request.points }] };
    case 'EXPIRE':
      return { kind: 'expire', expiresAt: request.expiresAt ?? '' };
  }
}

/** The member's schedule after `head`: a head written before points expired has every available point never expire. */
export function scheduleOf(head: Pick<LedgerHeadState, 'balance_after' | 'held_after' | 'lots_after'>): PointsSchedule {
  return head.lots_after ?? scheduleBeforeExpiry(head.balance_after - head.held_after);
}

export function balancesOf(entry: Pick<LedgerEntry, 'balance_after' | 'held_after'> | null): Balances {
  const balance = entry?.balance_after ?? 0;
  const held = entry?.held_after ?? 0;
  return { points_balance: balance, points_held: held, points_available: balance - held };
}

export interface MemberPoints {
  balances: Balances;
  schedule: PointsSchedule;
}

/** The member's balances and expiry schedule right after `entry` (their newest entry, or their head). */
export function pointsAfter(entry: Pick<LedgerHeadState, 'balance_after' | 'held_after' | 'lots_after'>): MemberPoints {
  return { balances: balancesOf(entry), schedule: scheduleOf(entry) };
}

/** Every expiry date of a schedule, held points' included. */
function datesOf(schedule: PointsSchedule): string[] {
  const lots = [...schedule.free, ...schedule.held.flatMap((held) => held.lots)];
  return [...new Set(lots.flatMap((lot) => (lot.expires_at ? [lot.expires_at] : [])))];
}

type Head = LedgerHeadState;
const EMPTY_HEAD: Head = { seq: 0, balance_after: 0, held_after: 0, lots_after: EMPTY_SCHEDULE };

/** The points of a member without entries. */
export const NO_POINTS = pointsAfter(EMPTY_HEAD);

function headOf({ seq, balance_after, held_after, lots_after }: Head): Head {
  return { seq, balance_after, held_after, ...(lots_after ? { lots_after } : {}) };
}

/** Whether balances would leave points_held, or points_available, negative. */
function overdraws({ balance_after, held_after }: Pick<Head, 'balance_after' | 'held_after'>): boolean {
  return held_after < 0 || balance_after - held_after < 0;
}

/** The entry that follows `head`; the caller checks that it does not overdraw. */
function entryAfter(head: Head, request: AppendRequest, createdAt: Date): LedgerEntry {
  const step = scheduleAfter(scheduleOf(head), scheduleChangeOf(request), createdAt.toISOString());
  const deltas = deltasFor(request.type, request.points, step.expired);
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
    lots_after: step.schedule,
    ...(step.taken ? { lots_taken: step.taken } : {}),
    ...(step.expired > 0 ? { points_expired: step.expired } : {}),
    ...(request.expiresAt ? { expires_at: request.expiresAt } : {}),
    ...(request.redemptionId ? { redemption_id: request.redemptionId } : {}),
    ...(request.reason ? { reason: request.reason } : {}),
    created_at: createdAt,
  };
}

/** An EXPIRE whose date has nothing left to expire: no entry is written. */
class NothingToExpireError extends Error {}

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
  private readonly expiryDates: ExpiryDates;

  constructor(db: Db, observer: LedgerObserver = {}) {
    this.entries = db.collection<LedgerEntry>('ledger');
    this.heads = db.collection<LedgerHead>('ledger_heads');
    this.expiryDates = new ExpiryDates(db);
    this.log = new NumberedLog<LedgerEntry, Head>(this.entries, this.heads, {
      empty: EMPTY_HEAD,
      headOf,
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
    return { balances: balancesOf(head), head: headOf(head) };
  }

  /** The member's balances and expiry schedule, from their newest entry. */
  async pointsOf(memberId: string): Promise<MemberPoints> {
    return pointsAfter(await this.log.head(memberId));
  }

  /**
   * Appends one entry, or returns the entry already written under the same idempotency key. Throws
   * InsufficientPointsError when the entry would make points_available (or points_held) negative.
   */
  async append(request: AppendRequest): Promise<{ entry: LedgerEntry; duplicate: boolean }> {
    const asked = deltasFor(request.type, request.points, 0);
    const refund = request.type === 'REFUND' && request.redemptionId && !request.lotsBack;
    const full = refund ? { ...request, lotsBack: await this.lotsRefunded(request) } : request;
    // Before the points it dates: the expiry pass must find every date that has points.
    if (request.type === 'EARN' && request.expiresAt) await this.expiryDates.add(request.memberId, request.expiresAt);
    return this.log.append({
      log: request.memberId,
      idempotencyKey: request.idempotencyKey,
      // A head read before points expired carries no schedule: the append reads the member's own.
      knownHead: request.knownHead?.lots_after ? request.knownHead : undefined,
      next: (head, createdAt) => entryAfter(head, full, createdAt),
      refusal: (entry, head) => {
        if (entry.type === 'EARN' && entry.expires_at && entry.expires_at <= entry.created_at.toISOString()) {
          return new ExpiryInPastError(entry.expires_at);
        }
        if (entry.type === 'EXPIRE' && entry.balance_delta === 0) return new NothingToExpireError();
        return overdraws(entry)
          ? new InsufficientPointsError(balancesOf(head).points_available, Math.abs(asked.balance - asked.held))
          : undefined;
      },
      checkEarlier: (existing) => {
        const deltas = deltasFor(request.type, request.points, existing.points_expired ?? 0);
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
   * Expires what is left of the member's available points with the date `expiresAt`, as one EXPIRE entry keyed by the
   * member and the date, so that it is written once; null when nothing is left (spent, or held).
   */
  async expire(memberId: string, expiresAt: string): Promise<LedgerEntry | null> {
    try {
      const { entry } = await this.append({
        memberId,
        type: 'EXPIRE',
        points: 0,
        expiresAt,
        idempotencyKey: `expire:${memberId}:${expiresAt}`,
      });
      return entry;
    } catch (error) {
      if (error instanceof NothingToExpireError) return null;
      throw error;
    }
  }

  /** The lots a refund of a redemption gives back: those its DEBIT or CAPTURE spent, less what earlier refunds did. */
  private async lotsRefunded(request: AppendRequest): Promise<Lot[]> {
    const entries = await this.entriesOfRedemption(request.redemptionId!);
    const spent = entries.flatMap((entry) =>
      entry.type === 'DEBIT' || entry.type === 'CAPTURE' ? (entry.lots_taken ?? []) : [],
    );
    const refunded = entries
      .filter((entry) => entry.type === 'REFUND' && entry.idempotency_key !== request.idempotencyKey)
      .reduce((sum, entry) => sum + entry.balance_delta + (entry.points_expired ?? 0), 0);
    return refundedLots(spent, refunded, request.points);
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
      if (head.seq > 0) heads.push({ _id: memberId, ...headOf(head) });
      for (const date of datesOf(scheduleOf(head))) await this.expiryDates.add(memberId, date);
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
