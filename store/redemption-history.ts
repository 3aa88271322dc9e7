/**
 * Redemptions in bulk, outside any workflow: a merchant's history imported in the layout the workflow's steps write,
 * and the one-off backfill of the day key that reports read by.
 */
import type { Collection, Db } from 'mongodb';
import { utcDay } from '../domain/reports';
import { Coupons } from './coupons';
import { dialectOf } from './dialect';
import {
  redemptionsCollection,
  stored,
  type RedemptionDocument,
  type StoredEvent,
  type StoredRedemption,
} from './redemptions';

export class RedemptionHistory {
  private readonly redemptions: Collection<StoredRedemption>;
  private readonly coupons: Coupons;

  constructor(private readonly db: Db) {
    this.redemptions = redemptionsCollection(db);
    this.coupons = new Coupons(db);
  }

  /** Imports finished redemptions (a merchant's history, migrated) with their audit trails and coupons. */
  async importMany(redemptions: Array<{ document: RedemptionDocument; events: StoredEvent[] }>): Promise<void> {
    if (redemptions.length === 0) return;
    await this.redemptions.insertMany(
      redemptions.map(({ document, events }) =>
        stored({ created_day: utcDay(document.created_at), ...document }, events),
      ),
      { ordered: false },
    );
    await this.coupons.importMany(
      redemptions.flatMap(({ document }) =>
        document.coupon_code
          ? [{ _id: document.coupon_code, redemption_id: document._id, created_at: document.created_at }]
          : [],
      ),
    );
  }

  /**
   * Gives `created_day` to the redemptions stored before it existed (a scan, run once by `npm run backfill:report-days`);
   * returns how many it changed. Atomic per document on MongoDB; FerretDB v1 applies an update as read, change,
   * replace, so there it runs with the workers stopped, lest a step's write to the same redemption be lost.
   */
  async backfillCreatedDay(): Promise<number> {
    const dialect = dialectOf(this.db);
    let changed = 0;
    const legacy = this.redemptions.find(
      { created_day: { $exists: false } },
      { projection: { _id: 1, created_at: 1 } },
    );
    for await (const { _id, created_at } of legacy) {
      const result = await dialect.serialized(`${this.redemptions.namespace}/${_id}`, () =>
        this.redemptions.updateOne(
          { _id, created_day: { $exists: false } },
          { $set: { created_day: utcDay(created_at) } },
        ),
      );
      changed += result.modifiedCount;
    }
    return changed;
  }
}
