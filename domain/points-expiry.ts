/**
 * Points that expire: the member's expiry schedule and how each kind of ledger entry changes it. Every entry carries
 * the schedule after it (store/ledger.ts), so it is exact under concurrency for the same reason the balances are.
 *
 * The schedule is the available points by expiry date (`free`, soonest first, never-expiring last) and the points each
 * pending redemption holds, with their dates (`held`). Points are spent soonest-expiring first; held points keep
 * their date and do not expire while held; a release or a refund gives back points whose date has passed as expired.
 * Lots with the same date are merged, so the schedule grows with the dates still to come, not with the history.
 */

/** Points with one expiry date: an ISO instant, or null for points that never expire. */
export interface Lot {
  expires_at: string | null;
  points: number;
}

export interface HeldLots {
  redemption_id: string;
  lots: Lot[];
}

export interface PointsSchedule {
  free: Lot[];
  held: HeldLots[];
}

export const EMPTY_SCHEDULE: PointsSchedule = { free: [], held: [] };

/** The schedule of a head written before points expired: every available point never expires. */
export function scheduleBeforeExpiry(available: number): PointsSchedule {
  return { free: available > 0 ? [{ expires_at: null, points: available }] : [], held: [] };
}

/** Soonest first, never-expiring last. */
function compareDates(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export function totalOf(lots: Lot[]): number {
  return lots.reduce((sum, lot) => sum + lot.points, 0);
}

/** `lots` and `added` merged by date, soonest first, without empty lots. */
export function addLots(lots: Lot[], added: Lot[]): Lot[] {
  const byDate = new Map<string | null, number>();
  for (const lot of [...lots, ...added]) byDate.set(lot.expires_at, (byDate.get(lot.expires_at) ?? 0) + lot.points);
  return [...byDate]
    .filter(([, points]) => points > 0)
    .map(([expires_at, points]) => ({ expires_at, points }))
    .sort((a, b) => compareDates(a.expires_at, b.expires_at));
}

/** Takes `points` from `lots` in their order (at most what they hold); returns what was taken and what is left. */
function takeInOrder(lots: Lot[], points: number): { taken: Lot[]; rest: Lot[] } {
  const taken: Lot[] = [];
  const rest: Lot[] = [];
  let wanted = points;
  for (const lot of lots) {
    const take = Math.min(wanted, lot.points);
    if (take > 0) taken.push({ expires_at: lot.expires_at, points: take });
    if (lot.points > take) rest.push({ expires_at: lot.expires_at, points: lot.points - take });
    wanted -= take;
  }
  return { taken, rest };
}

/** Spends `points` soonest-expiring first, never-expiring last. */
export function takeSoonest(lots: Lot[], points: number): { taken: Lot[]; rest: Lot[] } {
  const sorted = addLots(lots, []);
  return takeInOrder(sorted, points);
}

/** Whether a lot's date has come by `now` (an ISO instant). */
export function isDue(lot: Lot, now: string): boolean {
  return lot.expires_at !== null && lot.expires_at <= now;
}

/** The points of `lots` still live at `now`, and how many have expired. */
export function splitExpired(lots: Lot[], now: string): { live: Lot[]; expired: number } {
  return {
    live: lots.filter((lot) => !isDue(lot, now)),
    expired: totalOf(lots.filter((lot) => isDue(lot, now))),
  };
}

/**
 * The part of the lots a redemption spent that its next refund gives back: the points spent last come back first
 * (latest-expiring first), after the `alreadyRefunded` points earlier refunds gave back.
 */
export function refundedLots(spent: Lot[], alreadyRefunded: number, points: number): Lot[] {
  const latestFirst = [...addLots(spent, [])].reverse();
  const { rest } = takeInOrder(latestFirst, alreadyRefunded);
  const { taken } = takeInOrder(rest, points);
  // What the record of the spending does not cover (spent before points expired) never expires.
  const missing = points - totalOf(taken);
  return missing > 0 ? [...taken, { expires_at: null, points: missing }] : taken;
}

/** A change to the schedule, by the kind of entry that makes it. */
export type ScheduleChange =
  | { kind: 'add'; lots: Lot[] }
  | { kind: 'spend'; points: number }
  | { kind: 'hold'; redemptionId: string; points: number }
  | { kind: 'release'; redemptionId: string; points: number }
  | { kind: 'capture'; redemptionId: string; points: number }
  | { kind: 'give back'; lots: Lot[] }
  | { kind: 'expire'; expiresAt: string };

export interface ScheduleStep {
  schedule: PointsSchedule;
  /** The lots the change spent (spend, capture): a later refund gives them back. */
  taken?: Lot[];
  /** The points that left the balance as expired (expire, and a release or give-back of points past their date). */
  expired: number;
}

function heldOf(schedule: PointsSchedule, redemptionId: string, points: number) {
  const record = schedule.held.find((held) => held.redemption_id === redemptionId);
  // A hold made before points expired has no record: its points never expire.
  const { taken, rest } = takeSoonest(record?.lots ?? [], points);
  const missing = points - totalOf(taken);
  const lots = missing > 0 ? [...taken, { expires_at: null, points: missing }] : taken;
  const others = schedule.held.filter((held) => held.redemption_id !== redemptionId);
  return { lots, held: rest.length > 0 ? [...others, { redemption_id: redemptionId, lots: rest }] : others };
}

/** The schedule after `change` at `now` (an ISO instant). */
export function scheduleAfter(schedule: PointsSchedule, change: ScheduleChange, now: string): ScheduleStep {
  switch (change.kind) {
    case 'add':
      return { schedule: { ...schedule, free: addLots(schedule.free, change.lots) }, expired: 0 };
    case 'spend': {
      const { taken, rest } = takeSoonest(schedule.free, change.points);
      return { schedule: { ...schedule, free: rest }, taken, expired: 0 };
    }
    case 'hold': {
      const { taken, rest } = takeSoonest(schedule.free, change.points);
      const held = [...schedule.held.filter((each) => each.redemption_id !== change.redemptionId)];
      const earlier = schedule.held.find((each) => each.redemption_id === change.redemptionId)?.lots ?? [];
      held.push({ redemption_id: change.redemptionId, lots: addLots(earlier, taken) });
      return { schedule: { free: rest, held }, expired: 0 };
    }
    case 'release': {
      const { lots, held } = heldOf(schedule, change.redemptionId, change.points);
      const { live, expired } = splitExpired(lots, now);
      return { schedule: { free: addLots(schedule.free, live), held }, expired };
    }
    case 'capture': {
      const { lots, held } = heldOf(schedule, change.redemptionId, change.points);
      return { schedule: { ...schedule, held }, taken: lots, expired: 0 };
    }
    case 'give back': {
      const { live, expired } = splitExpired(change.lots, now);
      return { schedule: { ...schedule, free: addLots(schedule.free, live) }, expired };
    }
    case 'expire': {
      const expired = totalOf(schedule.free.filter((lot) => lot.expires_at === change.expiresAt));
      const free = schedule.free.filter((lot) => lot.expires_at !== change.expiresAt);
      return { schedule: { ...schedule, free }, expired };
    }
  }
}

/** The next `count` dates on which available points expire, with how many. */
export function pointsExpiring(schedule: PointsSchedule, count = 3): Lot[] {
  return addLots(schedule.free, [])
    .filter((lot) => lot.expires_at !== null)
    .slice(0, count);
}

/** The expiry date of an earn under a programme-wide default: the start of the UTC day `days` after the earn's day. */
export function defaultExpiry(earnedAt: Date, days: number): string {
  const day = Date.UTC(earnedAt.getUTCFullYear(), earnedAt.getUTCMonth(), earnedAt.getUTCDate() + days + 1);
  return new Date(day).toISOString();
}

/** Thrown when an earn's expiry date is not after the moment it is written. */
export class ExpiryInPastError extends Error {
  constructor(readonly expiresAt: string) {
    super(`Points cannot be earned with an expiry date (${expiresAt}) that has already passed.`);
  }
}
