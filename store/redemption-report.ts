/**
 * What the redemptions report reads: the redemptions created in a range, streamed so that only a batch is in memory.
 * Its cost follows the range, not the store.
 */
import type { Collection, Db } from 'mongodb';
import { daysOf, type ReportedRedemption } from '../domain/reports';
import { dialectOf } from './dialect';
import { redemptionsCollection, type StoredRedemption } from './redemptions';

const REPORTED = {
  _id: 0,
  created_at: 1,
  created_day: 1,
  status: 1,
  points: 1,
  partner: 1,
  redemption_option_id: 1,
  points_refunded: 1,
} as const;

export class RedemptionReportReads {
  private readonly redemptions: Collection<StoredRedemption>;

  constructor(private readonly db: Db) {
    this.redemptions = redemptionsCollection(db);
  }

  /**
   * The redemptions created in [from, to). On FerretDB one UTC day at a time, each an indexed equality on `created_day`
   * (it does not push a range filter down to PostgreSQL); on MongoDB one index range on `created_at`.
   */
  async *createdBetween(from: Date, to: Date): AsyncIterable<ReportedRedemption> {
    const options = { projection: REPORTED, batchSize: 1_000 };
    if (!dialectOf(this.db).rangesByDay) {
      yield* this.redemptions.find<ReportedRedemption>({ created_at: { $gte: from, $lt: to } }, options);
      return;
    }
    for (const day of daysOf(from, to)) {
      for await (const redemption of this.redemptions.find<ReportedRedemption>({ created_day: day }, options)) {
        if (redemption.created_at >= from && redemption.created_at < to) yield redemption;
      }
    }
  }
}
