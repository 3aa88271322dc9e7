import type { Collection, Db, Filter } from 'mongodb';
import type { PartnerName } from '../domain/partners';
import type { CreateRedemptionRequest, RedemptionEvent, RedemptionView } from '../domain/redemption';
import type { RedemptionStatus, RejectionReason } from '../domain/states';
import { duplicateKeyIndex } from './duplicate-key';

export interface RedemptionDocument {
  _id: string;
  request_hash: string;
  request: CreateRedemptionRequest;
  member_id: string | null;
  redemption_option_id: number;
  points: number | null;
  delay_points_deduction: boolean;
  currency: string | null;
  coupon_code: string | null;
  status: RedemptionStatus;
  reason: RejectionReason | null;
  partner: PartnerName | null;
  order_id: string | null;
  expires_at: string | null;
  created_at: Date;
  updated_at: Date;
}

export type RedemptionChanges = Partial<
  Pick<
    RedemptionDocument,
    'member_id' | 'points' | 'currency' | 'coupon_code' | 'status' | 'reason' | 'partner' | 'order_id' | 'expires_at'
  >
>;

interface EventDocument {
  _id: string;
  redemption_id: string;
  at: Date;
  type: string;
  status?: RedemptionStatus;
  data?: Record<string, unknown>;
}

interface CouponDocument {
  _id: string;
  redemption_id: string;
  created_at: Date;
  voided_at?: Date;
}

export interface RedemptionFilter {
  member_id?: string;
  status?: RedemptionStatus;
  coupon_code?: string;
  order_id?: string;
}

export class Redemptions {
  private readonly redemptions: Collection<RedemptionDocument>;
  private readonly events: Collection<EventDocument>;
  private readonly coupons: Collection<CouponDocument>;

  constructor(db: Db) {
    this.redemptions = db.collection<RedemptionDocument>('redemptions');
    this.events = db.collection<EventDocument>('redemption_events');
    this.coupons = db.collection<CouponDocument>('coupons');
  }

  /** Records a new redemption; a retried call finds it already there and changes nothing. */
  async createIfMissing(document: RedemptionDocument): Promise<void> {
    try {
      await this.redemptions.insertOne(document);
    } catch (error) {
      if (duplicateKeyIndex(error) === undefined) throw error;
    }
  }

  /** Only the redemption's own workflow writes it, one step at a time, so a plain $set is safe here. */
  async update(id: string, changes: RedemptionChanges): Promise<void> {
    await this.redemptions.updateOne({ _id: id }, { $set: { ...changes, updated_at: new Date() } });
  }

  get(id: string): Promise<RedemptionDocument | null> {
    return this.redemptions.findOne({ _id: id });
  }

  async list(filter: RedemptionFilter, page: { skip: number; limit: number; sort: Record<string, 1 | -1> }) {
    const query: Filter<RedemptionDocument> = {};
    if (filter.member_id) query.member_id = filter.member_id;
    if (filter.status) query.status = filter.status;
    if (filter.coupon_code) query.coupon_code = filter.coupon_code;
    if (filter.order_id) query.order_id = filter.order_id;
    const [items, total] = await Promise.all([
      this.redemptions.find(query, { sort: page.sort, skip: page.skip, limit: page.limit }).toArray(),
      this.redemptions.countDocuments(query),
    ]);
    return { items, total };
  }

  async findByCouponCode(code: string): Promise<RedemptionDocument | null> {
    const coupon = await this.coupons.findOne({ _id: code });
    return coupon ? this.get(coupon.redemption_id) : null;
  }

  findByOrderId(orderId: string): Promise<RedemptionDocument[]> {
    return this.redemptions.find({ order_id: orderId }, { sort: { created_at: 1 } }).toArray();
  }

  /**
   * Gives the redemption its coupon code. Codes are unique by _id and a redemption has one coupon by a unique index,
   * so a retried or duplicated call returns the code already issued, and a (vanishingly rare) collision draws again.
   */
  async issueCoupon(redemptionId: string, draw: () => string): Promise<string> {
    for (;;) {
      const existing = await this.coupons.findOne({ redemption_id: redemptionId });
      if (existing) return existing._id;
      try {
        const code = draw();
        await this.coupons.insertOne({ _id: code, redemption_id: redemptionId, created_at: new Date() });
        return code;
      } catch (error) {
        if (duplicateKeyIndex(error) === undefined) throw error;
      }
    }
  }

  async voidCoupon(redemptionId: string): Promise<void> {
    await this.coupons.updateOne({ redemption_id: redemptionId }, { $set: { voided_at: new Date() } });
  }

  /** Appends an audit event; its key makes a retried append a no-op. */
  async appendEvent(redemptionId: string, key: string, event: Omit<RedemptionEvent, 'at'>): Promise<void> {
    try {
      await this.events.insertOne({ _id: key, redemption_id: redemptionId, at: new Date(), ...event });
    } catch (error) {
      if (duplicateKeyIndex(error) === undefined) throw error;
    }
  }

  async eventsOf(redemptionId: string): Promise<RedemptionEvent[]> {
    const documents = await this.events.find({ redemption_id: redemptionId }, { sort: { at: 1, _id: 1 } }).toArray();
    return documents.map(({ at, type, status, data }) => ({
      at: at.toISOString(),
      type,
      ...(status ? { status } : {}),
      ...(data ? { data } : {}),
    }));
  }
}

export function toRedemptionView(document: RedemptionDocument): RedemptionView {
  return {
    id: document._id,
    member_id: document.member_id,
    redemption_option_id: document.redemption_option_id,
    points: document.points,
    delay_points_deduction: document.delay_points_deduction,
    currency: document.currency,
    coupon_code: document.coupon_code,
    reward_text: document.coupon_code,
    status: document.status,
    reason: document.reason,
    partner: document.partner,
    order_id: document.order_id,
    expires_at: document.expires_at,
    created_at: document.created_at.toISOString(),
    updated_at: document.updated_at.toISOString(),
  };
}
