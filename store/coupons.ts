/**
 * Coupons: each redemption's one code, unique by `_id`, and whether it was voided. A redemption has one coupon by a
 * unique index, so a retried issue returns the code already issued.
 */
import type { Collection, Db } from 'mongodb';
import { duplicateKeyIndex } from './duplicate-key';

export interface CouponDocument {
  _id: string;
  redemption_id: string;
  created_at: Date;
  voided_at?: Date;
}

export class Coupons {
  private readonly coupons: Collection<CouponDocument>;

  constructor(db: Db) {
    this.coupons = db.collection<CouponDocument>('coupons');
  }

  /**
   * Gives the redemption its coupon code. Codes are unique by _id and a redemption has one coupon by a unique index,
   * so a retried or duplicated call returns the code already issued, and a (vanishingly rare) collision draws again.
   */
  async issue(redemptionId: string, draw: () => string): Promise<string> {
    for (;;) {
      try {
        const code = draw();
        await this.coupons.insertOne({ _id: code, redemption_id: redemptionId, created_at: new Date() });
        return code;
      } catch (error) {
        if (duplicateKeyIndex(error) === undefined) throw error;
        // FerretDB's error does not name the index: the redemption has its coupon already, or the code was taken.
        const existing = await this.coupons.findOne({ redemption_id: redemptionId });
        if (existing) return existing._id;
      }
    }
  }

  async void(redemptionId: string): Promise<void> {
    await this.coupons.updateOne({ redemption_id: redemptionId }, { $set: { voided_at: new Date() } });
  }

  /** Coupons of redemptions imported from a merchant's history. */
  async importMany(coupons: CouponDocument[]): Promise<void> {
    if (coupons.length > 0) await this.coupons.insertMany(coupons, { ordered: false });
  }
}
