/**
 * Redemptions in bulk, outside any workflow: a merchant's history imported in the layout the workflow's steps write,
 * and the one-off backfills of fields that older redemptions lack.
 */
import type { Collection, Db, Filter } from 'mongodb';
import { utcDay } from '../domain/reports';
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

  constructor(private readonly db: Db) {
    this.redemptions = redemptionsCollection(db);
  }

  /** Imports finished redemptions (a merchant's history, migrated) with their audit trails and coupon codes. */
  async importMany(redemptions: Array<{ document: RedemptionDocument; events: StoredEvent[] }>): Promise<void> {
    if (redemptions.length === 0) return;
    await this.redemptions.insertMany(
      redemptions.map(({ document, events }) =>
        stored(
          {
            created_day: utcDay(document.created_at),
            ...(document.coupon_code ? { issued_coupon_code: document.coupon_code } : {}),
            ...document,
          },
          events,
        ),
      ),
      { ordered: false },
    );
  }

  /**
   * Gives `created_day` to the redemptions stored before it existed (a scan, run once by `npm run backfill:report-days`);
   * returns how many it changed.
   */
  backfillCreatedDay(): Promise<number> {
    return this.backfill({ created_day: { $exists: false } }, 'created_at', ({ created_at }) => ({
      created_day: utcDay(created_at),
    }));
  }

  /**
   * Gives `issued_coupon_code` to the redemptions whose coupons were issued before it existed (a scan, run once by
   * `npm run backfill:coupon-codes`), so that no new code can be one of theirs; returns how many it changed.
   */
  backfillIssuedCouponCodes(): Promise<number> {
    return this.backfill(
      { coupon_code: { $type: 'string' }, issued_coupon_code: { $exists: false } },
      'coupon_code',
      ({ coupon_code }) => ({ issued_coupon_code: coupon_code! }),
    );
  }

  /**
   * Sets on each redemption `lacking` the fields `fill` gives it from the one field it `reads`. Atomic per document on
   * MongoDB; FerretDB v1 applies an update as read, change, replace, so there it runs with the workers stopped, lest a
   * step's write to the same redemption be lost.
   */
  private async backfill<F extends keyof RedemptionDocument>(
    lacking: Filter<StoredRedemption>,
    reads: F,
    fill: (redemption: Pick<RedemptionDocument, '_id' | F>) => Partial<RedemptionDocument>,
  ): Promise<number> {
    const dialect = dialectOf(this.db);
    let changed = 0;
    for await (const redemption of this.redemptions.find(lacking, { projection: { _id: 1, [reads]: 1 } })) {
      const result = await dialect.serialized(`${this.redemptions.namespace}/${redemption._id}`, () =>
        this.redemptions.updateOne({ _id: redemption._id, ...lacking }, { $set: fill(redemption) }),
      );
      changed += result.modifiedCount;
    }
    return changed;
  }
}
