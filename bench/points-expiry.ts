/**
 * The expiry pass's cost: points of some members are dated an hour ahead, and one pass is timed at that date (through
 * the activity the scheduled workflow runs, with its clock set there). Its cost must follow the dates expiring, not
 * the ledger: a pass with nothing due, or with few dates, costs the same on a new store and on a million entries.
 */
import { performance } from 'node:perf_hooks';
import type { Db } from 'mongodb';
import { createPointsExpiryActivities } from '../activities/points-expiry';
import { Ledger } from '../store/ledger';
import { round } from './latency';
import { measure } from './measure';

export interface ExpiryPassFigures {
  expiring_members: number;
  pass_seconds: number;
  ms_per_date: number;
  entries_written: number;
  points_expired: number;
  /** A pass right after, with nothing due. */
  empty_pass_seconds: number;
}

const POINTS = 10;

export async function measureExpiryPass(
  db: Db,
  memberIds: string[],
  expiresAt: Date,
  concurrency: number,
): Promise<ExpiryPassFigures> {
  const ledger = new Ledger(db);
  const date = expiresAt.toISOString();
  await measure('expiring earns', memberIds.length, concurrency, (index) =>
    ledger.append({
      memberId: memberIds[index]!,
      type: 'EARN',
      points: POINTS,
      expiresAt: date,
      idempotencyKey: `bench-expiring:${date}:${memberIds[index]}`,
    }),
  );
  const passAt = (at: number) =>
    createPointsExpiryActivities(
      db,
      () => new Date(at),
      () => undefined,
    ).expireDuePoints();
  // Untimed: the pass's mark catches up to the minute before the date, as a pass running every minute would have.
  while (!(await passAt(expiresAt.getTime() - 60_000)).caught_up);
  const timed = async (at: number) => {
    const begin = performance.now();
    const result = await passAt(at);
    return { result, seconds: (performance.now() - begin) / 1000 };
  };
  const { result, seconds } = await timed(expiresAt.getTime() + 1_000);
  if (result.entries !== memberIds.length || result.points_expired !== POINTS * memberIds.length) {
    throw new Error(`the pass expired ${result.points_expired} points in ${result.entries} entries`);
  }
  const empty = await timed(expiresAt.getTime() + 2_000);
  return {
    expiring_members: memberIds.length,
    pass_seconds: round(seconds, 3),
    ms_per_date: round((seconds * 1000) / memberIds.length, 2),
    entries_written: result.entries,
    points_expired: result.points_expired,
    empty_pass_seconds: round(empty.seconds, 3),
  };
}
