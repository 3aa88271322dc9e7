/**
 * A merchant's history, generated deterministically and written through the store's own import code: members with
 * their ledgers (EARNs, immediate DEBITs, HOLD + CAPTURE of delayed redemptions), and the finished redemptions those
 * entries belong to, with their audit trails and coupons. Member 0 is the heavy member: most of its entries are EARNs.
 */
import { RedemptionHistory } from '../store/redemption-history';
import type { Db } from 'mongodb';
import { Ledger, type ImportedEntry } from '../store/ledger';
import { Members } from '../store/members';
import type { RedemptionDocument, StoredEvent } from '../store/redemptions';

export interface HistoryShape {
  members: number;
  ledgerEntries: number;
  redemptions: number;
  heavyMemberEntries: number;
  optionId: number;
  costPoints: number;
  /** Names this history's members, redemptions and coupons, so that two histories can share a store. */
  tag: string;
}

const EARN_POINTS = 500;
const YEAR_MS = 365 * 24 * 3600 * 1000;
const GOLDEN_RATIO = (Math.sqrt(5) - 1) / 2;

export function historyEmail(tag: string, memberIndex: number): string {
  return `${tag}-${memberIndex}@merchant.example`;
}

export function historyRedemptionId(tag: string, redemptionIndex: number): string {
  return `red_${tag}_${redemptionIndex}`;
}

/** How many of `total` fall to item `index` of `count`, spread as evenly as whole numbers allow. */
function shareOf(total: number, count: number, index: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

type RedemptionKind = 'immediate' | 'delayed' | 'rejected';

/** Every tenth redemption was rejected (no entries), the others alternate between immediate and delayed. */
function kindOf(redemptionIndex: number): RedemptionKind {
  if (redemptionIndex % 10 === 9) return 'rejected';
  return redemptionIndex % 2 === 0 ? 'immediate' : 'delayed';
}

function entriesOf(kind: RedemptionKind): number {
  return kind === 'immediate' ? 1 : kind === 'delayed' ? 2 : 0;
}

/** The store ids of member `index`'s history: its redemptions are numbered from `firstRedemption`. */
interface MemberPlan {
  index: number;
  entries: number;
  firstRedemption: number;
  redemptions: number;
}

function planOf(shape: HistoryShape, index: number): MemberPlan {
  const others = shape.members - 1;
  const entries =
    index === 0 ? shape.heavyMemberEntries : shareOf(shape.ledgerEntries - shape.heavyMemberEntries, others, index - 1);
  // Redemptions are spread evenly over all members; this is the sum of the shares before `index`.
  const firstRedemption =
    Math.floor(shape.redemptions / shape.members) * index + Math.min(index, shape.redemptions % shape.members);
  return { index, entries, firstRedemption, redemptions: shareOf(shape.redemptions, shape.members, index) };
}

interface MemberHistory {
  email: string;
  createdAt: Date;
  entries: ImportedEntry[];
  redemptions: Array<{ document: Omit<RedemptionDocument, 'member_id'>; events: StoredEvent[] }>;
}

function historyOf(shape: HistoryShape, plan: MemberPlan, now: number): MemberHistory {
  const kinds = Array.from({ length: plan.redemptions }, (_, k) => kindOf(plan.firstRedemption + k));
  const redemptionEntries = kinds.reduce((sum, kind) => sum + entriesOf(kind), 0);
  const earns = plan.entries - redemptionEntries;
  if (earns < 1 || Math.ceil(earns / 2) * EARN_POINTS < plan.redemptions * shape.costPoints) {
    throw new Error(`member ${plan.index}: ${plan.entries} entries cannot hold ${plan.redemptions} redemptions`);
  }
  // One step per entry, oldest first, over the member's own span. A member's redemptions come half-way through its
  // entries, so the spans are centred on days spread evenly over the past year (each member its own, by the golden
  // ratio): the redemptions of a history are spread over the past year's days as a real merchant's are, not bunched on
  // the few days that one span for every member would give them. A span lasts up to a year, less for a recent middle.
  const middle = now - (((plan.index + 0.5) * GOLDEN_RATIO) % 1) * YEAR_MS;
  const halfSpan = Math.min(YEAR_MS / 2, now - middle);
  const createdAt = middle - halfSpan;
  const step = (2 * halfSpan) / (plan.entries + 2);
  let tick = 0;
  const nextTime = () => new Date(createdAt + step * ++tick);
  const email = historyEmail(shape.tag, plan.index);
  const entries: ImportedEntry[] = [];
  const earn = (n: number) => {
    for (let k = 0; k < n; k++) {
      entries.push({
        type: 'EARN',
        points: EARN_POINTS,
        idempotencyKey: `import:${shape.tag}:${plan.index}:earn:${entries.length}`,
        created_at: nextTime(),
      });
    }
  };
  earn(Math.ceil(earns / 2));
  const redemptions = kinds.map((kind, k) => {
    const id = historyRedemptionId(shape.tag, plan.firstRedemption + k);
    const at = nextTime();
    const delayed = kind === 'delayed';
    const events: StoredEvent[] = [
      {
        at,
        type: 'requested',
        status: 'pending',
        data: { request: { customer_email: '***', redemption_option_id: shape.optionId } },
      },
    ];
    const ledgerEvent = (entry: ImportedEntry) => {
      entries.push(entry);
      events.push({ at: entry.created_at, type: 'ledger', data: { entry: entry.type, points: entry.points } });
    };
    const key = (step: string) => `${id}:${step}`;
    if (kind === 'rejected') {
      events.push({ at, type: 'status', status: 'rejected', data: { reason: 'insufficient_points' } });
    } else {
      ledgerEvent({
        type: delayed ? 'HOLD' : 'DEBIT',
        points: shape.costPoints,
        idempotencyKey: key(delayed ? 'hold' : 'debit'),
        redemptionId: id,
        created_at: at,
      });
      events.push({ at, type: 'status', status: delayed ? 'awaiting_order' : 'redeeming' });
      if (delayed) {
        const capturedAt = nextTime();
        events.push({ at: capturedAt, type: 'order_attached', data: { order_id: `order-${id}` } });
        ledgerEvent({
          type: 'CAPTURE',
          points: shape.costPoints,
          idempotencyKey: key('capture'),
          redemptionId: id,
          created_at: capturedAt,
        });
      }
      events.push({ at: events.at(-1)!.at, type: 'status', status: 'completed' });
    }
    const finishedAt = events.at(-1)!.at;
    const document: Omit<RedemptionDocument, 'member_id'> = {
      _id: id,
      request_hash: `history:${id}`,
      request: { customer_email: email, redemption_option_id: shape.optionId, delay_points_deduction: delayed },
      redemption_option_id: shape.optionId,
      points: shape.costPoints,
      delay_points_deduction: delayed,
      currency: null,
      coupon_code:
        kind === 'rejected'
          ? null
          : `${shape.tag.toUpperCase()}-${(plan.firstRedemption + k).toString(36).toUpperCase()}`,
      status: kind === 'rejected' ? 'rejected' : 'completed',
      reason: kind === 'rejected' ? 'insufficient_points' : null,
      partner: null,
      order_id: delayed ? `order-${id}` : null,
      expires_at: new Date(at.getTime() + 7 * 24 * 3600 * 1000).toISOString(),
      ...(kind === 'rejected' ? {} : { completed_at: finishedAt.toISOString() }),
      created_at: at,
      updated_at: finishedAt,
      version: events.length,
    };
    return { document, events };
  });
  earn(earns - Math.ceil(earns / 2));
  return { email, createdAt: new Date(createdAt), entries, redemptions };
}

/**
 * Imports members [from, to) of the history: the members first (their ids are drawn by the store), then their
 * ledgers and their redemptions. Returns the member ids by index.
 */
export async function importMembers(db: Db, shape: HistoryShape, from: number, to: number): Promise<string[]> {
  const now = Date.now();
  const histories = Array.from({ length: to - from }, (_, k) => historyOf(shape, planOf(shape, from + k), now));
  const members = await new Members(db).importMany(
    histories.map(({ email, createdAt }) => ({ email, name: 'Imported member', created_at: createdAt })),
  );
  await Promise.all([
    new Ledger(db).importHistories(histories.map(({ entries }, k) => ({ memberId: members[k]!._id, entries }))),
    new RedemptionHistory(db).importMany(
      histories.flatMap(({ redemptions }, k) =>
        redemptions.map(({ document, events }) => ({ document: { ...document, member_id: members[k]!._id }, events })),
      ),
    ),
  ]);
  return members.map((member) => member._id);
}
