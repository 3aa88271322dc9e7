/**
 * The expiry pass: every date whose time has come gets its EXPIRE entry (Ledger.expire: once per member and date, of
 * what is left at append time), and is then forgotten. The dates are read by the minute they fall in, from the last
 * minute swept through to now, so a pass costs the minutes since the last one and the dates in them, whatever the
 * ledger's size.
 */
import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { ExpiryDates, minuteOf, minutesBetween, type ExpiryDate } from '../store/expiry-dates';
import { Ledger } from '../store/ledger';

/** What one call swept; `caught_up` is false when minutes were left for the next call. */
export interface ExpiryPassResult {
  dates: number;
  entries: number;
  points_expired: number;
  caught_up: boolean;
}

/** Minutes one call reads at most: a worker back after a long outage catches up over several calls. */
const MINUTES_PER_CALL = 24 * 60;
/** Dates (each of another member, or another date) expired at the same time. */
const MEMBERS_AT_ONCE = 16;
/** Where the first pass of a store starts: dates earlier than this were never written. */
const FIRST_LOOK_BACK_MS = 24 * 3600 * 1000;

/**
 * `heartbeat` is told after each batch of dates and each minute swept: a pass whose worker dies is run again after the
 * workflow's heartbeat timeout, not after its whole start-to-close timeout, however many dates a minute holds.
 */
export function createPointsExpiryActivities(
  db: Db,
  clock: () => Date = () => new Date(),
  heartbeat: () => void = () => Context.current().heartbeat(),
) {
  const dates = new ExpiryDates(db);
  const ledger = new Ledger(db);

  return {
    async expireDuePoints(): Promise<ExpiryPassResult> {
      const now = clock().toISOString();
      const current = minuteOf(now);
      const swept =
        (await dates.sweptThrough()) ?? minuteOf(new Date(Date.parse(now) - FIRST_LOOK_BACK_MS).toISOString());
      const pending = swept >= current ? [current] : minutesBetween(swept, current).slice(1);
      const minutes = pending.slice(0, MINUTES_PER_CALL);
      const result: ExpiryPassResult = {
        dates: 0,
        entries: 0,
        points_expired: 0,
        caught_up: pending.length <= MINUTES_PER_CALL,
      };
      const expire = async (date: ExpiryDate) => {
        const entry = await ledger.expire(date.member_id, date.expires_at);
        await dates.done(date);
        result.dates += 1;
        if (entry) {
          result.entries += 1;
          result.points_expired += entry.points_expired ?? 0;
        }
      };
      for (const minute of minutes) {
        const due = (await dates.inMinute(minute)).filter((date) => date.expires_at <= now);
        // Members' ledgers are apart: a default date (midnight) shared by many members expires them side by side.
        for (let from = 0; from < due.length; from += MEMBERS_AT_ONCE) {
          await Promise.all(due.slice(from, from + MEMBERS_AT_ONCE).map(expire));
          heartbeat();
        }
        // The current minute may still have dates to come; it is read again next time.
        if (minute < current) await dates.markSwept(minute);
        heartbeat();
      }
      return result;
    },
  };
}
