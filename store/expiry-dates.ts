/**
 * The dates on which members' points expire, one document per member and date, written before the earn that brings
 * them: the expiry pass finds what is due through them, so its cost follows the points expiring, not the ledger.
 *
 * A date is found by its minute (`due_minute`, an indexed equality), because FerretDB does not push a range filter down
 * to PostgreSQL: the pass reads the minutes since it last swept, one equality each, on both servers.
 */
import type { Collection, Db } from 'mongodb';

export interface ExpiryDate {
  /** `<member>/<expires_at>`. */
  _id: string;
  member_id: string;
  /** An ISO instant. */
  expires_at: string;
  /** The UTC minute of `expires_at`, `YYYY-MM-DDTHH:MM`. */
  due_minute: string;
}

interface SweepMark {
  _id: 'points-expiry';
  /** Every minute up to and including this one has been swept. */
  through: string;
}

export function minuteOf(instant: string): string {
  return instant.slice(0, 16);
}

/** The minutes from `from` to `to` (both `YYYY-MM-DDTHH:MM`), in order. */
export function minutesBetween(from: string, to: string): string[] {
  const minutes: string[] = [];
  for (let at = Date.parse(`${from}Z`); at <= Date.parse(`${to}Z`); at += 60_000) {
    minutes.push(minuteOf(new Date(at).toISOString()));
  }
  return minutes;
}

export class ExpiryDates {
  private readonly dates: Collection<ExpiryDate>;
  private readonly marks: Collection<SweepMark>;

  constructor(db: Db) {
    this.dates = db.collection<ExpiryDate>('points_expiry_dates');
    this.marks = db.collection<SweepMark>('points_expiry_sweeps');
  }

  /** Remembers that some of the member's points expire at `expiresAt` (once, however often it is said). */
  async add(memberId: string, expiresAt: string): Promise<void> {
    const date: ExpiryDate = {
      _id: `${memberId}/${expiresAt}`,
      member_id: memberId,
      expires_at: expiresAt,
      due_minute: minuteOf(expiresAt),
    };
    await this.dates.replaceOne({ _id: date._id }, date, { upsert: true });
  }

  /** The dates in one minute. */
  inMinute(minute: string): Promise<ExpiryDate[]> {
    return this.dates.find({ due_minute: minute }).toArray();
  }

  /** A date whose points have expired (or were all spent). */
  async done(date: ExpiryDate): Promise<void> {
    await this.dates.deleteOne({ _id: date._id });
  }

  async sweptThrough(): Promise<string | null> {
    return (await this.marks.findOne({ _id: 'points-expiry' }))?.through ?? null;
  }

  async markSwept(through: string): Promise<void> {
    await this.marks.replaceOne({ _id: 'points-expiry' }, { through }, { upsert: true });
  }
}
