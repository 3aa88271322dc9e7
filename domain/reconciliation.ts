/**
 * Reconciliation: the ledger's promises re-derived from its entries alone. A member's entries, folded in order, must
 * give each entry's stored running balances, never overdraw, and agree with the head hint; a redemption's entries must
 * be the ones its final status says it moved (a debit or a captured hold, its refunds, a released hold).
 */
import { pointsOfEntry, type LedgerType } from './ledger';
import type { RedemptionStatus } from './states';

export type DiscrepancyCode =
  | 'entry_missing'
  | 'entry_deltas'
  | 'entry_balances'
  | 'overdrawn'
  | 'head_ahead'
  | 'head_balances'
  | 'points_moved'
  | 'entry_amount'
  | 'refund_total'
  | 'entry_member'
  | 'entry_redemption_unknown';

export interface Discrepancy {
  code: DiscrepancyCode;
  message: string;
  /** The ledger entry it is about, where there is one. */
  seq?: number;
}

/** What the fold reads of an entry. */
export interface FoldedEntry {
  seq: number;
  type: LedgerType;
  balance_delta: number;
  held_delta: number;
  balance_after: number;
  held_after: number;
  /** RELEASE, REFUND and EXPIRE: the points that expired in it. */
  points_expired?: number;
}

/** The member's head hint: it may lag the newest entry, never lead it, and carries that entry's balances. */
export interface HeadHint {
  seq: number;
  balance_after: number;
  held_after: number;
}

/** Whether an entry's deltas have the shape its type gives them (store/ledger.ts deltasFor). */
function deltasFit({ type, balance_delta: balance, held_delta: held, points_expired = 0 }: FoldedEntry): boolean {
  switch (type) {
    case 'EARN':
      return balance > 0 && held === 0;
    case 'REFUND':
      return balance >= 0 && balance + points_expired > 0 && held === 0;
    case 'EXPIRE':
      return balance < 0 && balance === -points_expired && held === 0;
    case 'ADJUST':
      return balance !== 0 && held === 0;
    case 'DEBIT':
      return balance < 0 && held === 0;
    case 'HOLD':
      return balance === 0 && held > 0;
    case 'RELEASE':
      return balance === -points_expired && held < 0 && balance >= held;
    case 'CAPTURE':
      return balance < 0 && balance === held;
  }
}

/** Problems kept per member: the first ones say what broke; the rest usually follow from them. */
const PROBLEMS_KEPT = 10;

/**
 * One member's ledger folded entry by entry, in seq order, so that a long history is read in blocks and never held
 * whole. The fold goes on from its own balances after a mismatch, so later entries are judged against the truth.
 */
export class LedgerFold {
  private nextSeq = 1;
  private balance = 0;
  private held = 0;
  private readonly kept: Discrepancy[] = [];
  private found = 0;
  private headSeen = false;

  constructor(private readonly head: HeadHint | null = null) {}

  get entries(): number {
    return this.nextSeq - 1;
  }

  get balances(): { balance: number; held: number } {
    return { balance: this.balance, held: this.held };
  }

  add(entry: FoldedEntry): void {
    if (entry.seq > this.nextSeq) {
      const missing = entry.seq === this.nextSeq + 1 ? `${this.nextSeq}` : `${this.nextSeq} to ${entry.seq - 1}`;
      this.report({ code: 'entry_missing', seq: this.nextSeq, message: `Entry ${missing} is missing.` });
    }
    if (!deltasFit(entry)) {
      this.report({
        code: 'entry_deltas',
        seq: entry.seq,
        message: `Entry ${entry.seq} (${entry.type}) has deltas balance ${entry.balance_delta}, held ${entry.held_delta}, which its type cannot have.`,
      });
    }
    this.balance += entry.balance_delta;
    this.held += entry.held_delta;
    this.nextSeq = entry.seq + 1;
    if (entry.balance_after !== this.balance || entry.held_after !== this.held) {
      this.report({
        code: 'entry_balances',
        seq: entry.seq,
        message: `Entry ${entry.seq} stores balance ${entry.balance_after}, held ${entry.held_after}; the fold gives ${this.balance}, ${this.held}.`,
      });
    }
    if (this.held < 0 || this.balance - this.held < 0) {
      this.report({
        code: 'overdrawn',
        seq: entry.seq,
        message: `After entry ${entry.seq} the fold has balance ${this.balance}, held ${this.held}: points go negative.`,
      });
    }
    if (this.head && this.head.seq === entry.seq) {
      this.headSeen = true;
      if (this.head.balance_after !== this.balance || this.head.held_after !== this.held) {
        this.report({
          code: 'head_balances',
          seq: entry.seq,
          message: `The head hint at entry ${entry.seq} stores balance ${this.head.balance_after}, held ${this.head.held_after}; the fold gives ${this.balance}, ${this.held}.`,
        });
      }
    }
  }

  /** Every problem found (the first few kept), once all entries were added. */
  finish(): { problems: Discrepancy[]; count: number } {
    if (this.head && this.head.seq > 0 && !this.headSeen) {
      this.report({
        code: 'head_ahead',
        seq: this.head.seq,
        message: `The head hint names entry ${this.head.seq}, but the ledger ends at entry ${this.entries}.`,
      });
    }
    return { problems: [...this.kept], count: this.found };
  }

  private report(problem: Discrepancy): void {
    this.found += 1;
    if (this.kept.length < PROBLEMS_KEPT) this.kept.push(problem);
  }
}

/** Folds a whole history at once (tests, small ledgers). */
export function foldLedger(entries: FoldedEntry[], head: HeadHint | null = null) {
  const fold = new LedgerFold(head);
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) fold.add(entry);
  return { ...fold.finish(), ...fold.balances };
}

/** How a redemption in a status has moved its points: not at all, held, held then released, or spent. */
type PointsMoved = 'none' | 'held' | 'released' | 'spent';
/** What it has refunded: nothing, part of its points at most (partial refunds), or all of them. */
type Refunded = 'none' | 'up_to_points' | 'points';

/**
 * The entries each status implies (activities/redemption-steps.ts): reservePoints debits or holds, capturePoints
 * captures the hold, releasePoints releases it, refundPoints (compensation) and refundOrder refund. A redemption still
 * redeeming may be part way through its compensation, and a completed one may have had part of its order refunded.
 */
export const EXPECTED_ENTRIES: Record<RedemptionStatus, { moved: PointsMoved; refunded: Refunded }> = {
  pending: { moved: 'none', refunded: 'none' },
  rejected: { moved: 'none', refunded: 'none' },
  awaiting_order: { moved: 'held', refunded: 'none' },
  redeeming: { moved: 'spent', refunded: 'up_to_points' },
  needs_review: { moved: 'spent', refunded: 'none' },
  completed: { moved: 'spent', refunded: 'up_to_points' },
  compensated: { moved: 'spent', refunded: 'points' },
  refunded: { moved: 'spent', refunded: 'points' },
  expired: { moved: 'released', refunded: 'none' },
  cancelled: { moved: 'released', refunded: 'none' },
};

export interface RedemptionFacts {
  status: RedemptionStatus;
  points: number | null;
  member_id: string | null;
  /** The points its order's partial cancellations gave back, when any did: its REFUNDs must add up to exactly that. */
  points_refunded?: number;
}

export interface RedemptionEntry {
  seq: number;
  type: LedgerType;
  member_id: string;
  balance_delta: number;
  held_delta: number;
  points_expired?: number;
}

/** The points an entry moves, as a positive number (those given back as expired included). */
function pointsOf(entry: RedemptionEntry): number {
  return Math.abs(pointsOfEntry(entry));
}

const MOVES_BY_KIND: Record<PointsMoved, string[]> = {
  none: [''],
  held: ['HOLD'],
  released: ['HOLD,RELEASE'],
  spent: ['DEBIT', 'CAPTURE,HOLD'],
};

const DESCRIBED: Record<PointsMoved, string> = {
  none: 'no DEBIT, HOLD, CAPTURE or RELEASE',
  held: 'one HOLD and nothing else',
  released: 'one HOLD and one RELEASE',
  spent: 'one DEBIT, or one HOLD and one CAPTURE',
};

/** Whether the redemption's ledger entries are the ones its status implies. */
export function checkRedemptionEntries(redemption: RedemptionFacts, entries: RedemptionEntry[]): Discrepancy[] {
  const problems: Discrepancy[] = [];
  const { moved, refunded } = EXPECTED_ENTRIES[redemption.status];
  const moves = entries.filter((entry) => entry.type !== 'REFUND');
  const refunds = entries.filter((entry) => entry.type === 'REFUND');
  const found = moves
    .map((entry) => entry.type)
    .sort()
    .join(',');
  if (!MOVES_BY_KIND[moved].includes(found)) {
    problems.push({
      code: 'points_moved',
      message: `A ${redemption.status} redemption has ${DESCRIBED[moved]}; its ledger has ${found || 'none'}.`,
    });
  }
  const points = redemption.points;
  if (points !== null) {
    for (const entry of moves.filter((move) => pointsOf(move) !== points)) {
      problems.push({
        code: 'entry_amount',
        seq: entry.seq,
        message: `Its ${entry.type} moves ${pointsOf(entry)} points; the redemption is for ${points}.`,
      });
    }
  }
  const refundTotal = refunds.reduce((sum, entry) => sum + pointsOf(entry), 0);
  const refundFits =
    refunded === 'none'
      ? refunds.length === 0
      : refunded === 'points'
        ? refundTotal === points
        : redemption.points_refunded !== undefined
          ? refundTotal === redemption.points_refunded
          : points === null || refundTotal <= points;
  if (!refundFits) {
    const wanted = {
      none: 'no refund',
      points: `refunds of ${points} points`,
      up_to_points:
        redemption.points_refunded !== undefined
          ? `refunds of the ${redemption.points_refunded} points its order's cancellations gave back`
          : `at most ${points}`,
    };
    problems.push({
      code: 'refund_total',
      message: `A ${redemption.status} redemption has ${wanted[refunded]}; its ledger refunds ${refundTotal}.`,
    });
  }
  for (const entry of entries.filter((each) => each.member_id !== redemption.member_id)) {
    problems.push({
      code: 'entry_member',
      seq: entry.seq,
      message: `Its ${entry.type} is in the ledger of member ${entry.member_id}, not of member ${redemption.member_id}.`,
    });
  }
  return problems;
}
