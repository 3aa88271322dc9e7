import type { Collection, Db, Filter } from 'mongodb';
import type { PartnerName } from '../domain/partners';
import type { CreateRedemptionRequest, RedemptionEvent } from '../domain/redemption';
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
  /** When the redemption completed: an order cancellation refunds it only within the refund window from then. */
  completed_at?: string;
  /** The subtotal of the order that used the coupon, when it said (minor units): partial cancels by amount need it. */
  order_subtotal?: number;
  /** Points given back by cancellations of the order so far; absent before any (a refunded one gave back all). */
  points_refunded?: number;
  /** The cumulative amount of the order's subtotal cancelled, capped at the subtotal. */
  amount_cancelled?: number;
  /** The partial cancellations applied, each with the points it refunded, so that a resent one refunds nothing more. */
  order_cancellations?: AppliedCancellation[];
  created_at: Date;
  updated_at: Date;
  /** The version of the workflow step that last changed the status; only a newer step changes it again. */
  version: number;
}

/** Redemptions refunded in full before partial cancellations existed carry no count: all their points went back. */
export function pointsRefundedOf(document: RedemptionDocument): number {
  if (document.points_refunded !== undefined) return document.points_refunded;
  return document.status === 'refunded' || document.status === 'compensated' ? (document.points ?? 0) : 0;
}

export interface AppliedCancellation {
  id: string;
  points: number;
}

export type RedemptionChanges = Partial<
  Pick<
    RedemptionDocument,
    | 'member_id'
    | 'points'
    | 'currency'
    | 'coupon_code'
    | 'status'
    | 'reason'
    | 'partner'
    | 'order_id'
    | 'expires_at'
    | 'completed_at'
    | 'order_subtotal'
    | 'points_refunded'
    | 'amount_cancelled'
    | 'order_cancellations'
  >
>;

/** An audit event as a step writes it; the store stamps the time. */
export type AuditEvent = Omit<RedemptionEvent, 'at'>;

export interface StoredEvent extends AuditEvent {
  at: Date;
}

/** The redemption as stored: its current state and, in the same document, its audit trail. */
interface StoredRedemption extends RedemptionDocument {
  events: StoredEvent[];
  /**
   * The keys of the events appended outside status changes, so that a repeated append finds its own. They are kept
   * apart because FerretDB v1 cannot filter on a field of the documents in an array (`events.key`).
   */
  event_keys: string[];
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

function stored(document: RedemptionDocument, events: StoredEvent[]): StoredRedemption {
  return { ...document, events, event_keys: [] };
}

/** Readers of the redemption's state do not carry its audit trail around. */
const WITHOUT_EVENTS = { projection: { events: 0, event_keys: 0 } } as const;

/**
 * The last queued write of each redemption in this process. FerretDB v1 applies an update as read, change, replace,
 * so two writes to one redemption at once can lose one of them (MongoDB cannot). The workflow writes its redemption
 * one step at a time; what can still overlap within a worker (a partner attempt finishing past its deadline while
 * compensation runs, a local activity retried while its timed-out attempt still runs) is queued here.
 */
const writeQueues = new Map<string, Promise<unknown>>();

function inWriteQueue<T>(key: string, write: () => Promise<T>): Promise<T> {
  const result = (writeQueues.get(key) ?? Promise.resolve()).then(write);
  const settled = result.catch(() => undefined);
  writeQueues.set(key, settled);
  void settled.then(() => {
    if (writeQueues.get(key) === settled) writeQueues.delete(key);
  });
  return result;
}

export class Redemptions {
  private readonly redemptions: Collection<StoredRedemption>;
  private readonly coupons: Collection<CouponDocument>;

  constructor(db: Db) {
    this.redemptions = db.collection<StoredRedemption>('redemptions');
    this.coupons = db.collection<CouponDocument>('coupons');
  }

  /** Records a new redemption with its first audit event; a retried call finds it already there and changes nothing. */
  async createIfMissing(document: RedemptionDocument, event: AuditEvent): Promise<void> {
    try {
      await this.redemptions.insertOne(stored(document, [{ at: document.created_at, ...event }]));
    } catch (error) {
      if (duplicateKeyIndex(error) === undefined) throw error;
    }
  }

  /**
   * Imports finished redemptions in bulk (a merchant's history, migrated) with their audit trails and coupons, in the
   * layout the workflow's steps write.
   */
  async importMany(redemptions: Array<{ document: RedemptionDocument; events: StoredEvent[] }>): Promise<void> {
    if (redemptions.length === 0) return;
    await this.redemptions.insertMany(
      redemptions.map(({ document, events }) => stored(document, events)),
      { ordered: false },
    );
    const coupons = redemptions.flatMap(({ document }) =>
      document.coupon_code
        ? [{ _id: document.coupon_code, redemption_id: document._id, created_at: document.created_at }]
        : [],
    );
    if (coupons.length > 0) await this.coupons.insertMany(coupons, { ordered: false });
  }

  /**
   * One status-changing step of the redemption's workflow: its changes and audit events in one write. It applies only
   * over an older version, so a repeated step changes nothing and a late one cannot move the redemption backwards.
   * True when this call applied it.
   */
  async changeStatus(
    id: string,
    version: number,
    changes: RedemptionChanges & { status: RedemptionStatus },
    events: AuditEvent[],
  ): Promise<boolean> {
    const result = await this.inWriteQueue(id, () => {
      const at = new Date();
      return this.redemptions.updateOne(
        { _id: id, version: { $lt: version } },
        {
          $set: { ...changes, version, updated_at: at },
          $push: { events: { $each: events.map((event) => ({ at, ...event })) } },
        },
      );
    });
    return result.modifiedCount > 0;
  }

  /** Whether the audit event appended under this key is there (an `_id` read). */
  async hasEvent(id: string, key: string): Promise<boolean> {
    return (await this.redemptions.findOne({ _id: id, event_keys: key }, { projection: { _id: 1 } })) !== null;
  }

  /** Appends audit events outside a status change, with the fields they set if any; the key makes a repeat a no-op. */
  async appendEvent(
    id: string,
    key: string,
    event: AuditEvent | AuditEvent[],
    changes: RedemptionChanges = {},
  ): Promise<void> {
    await this.inWriteQueue(id, () => {
      const at = new Date();
      const fields = Object.keys(changes).length > 0 ? { $set: { ...changes, updated_at: at } } : {};
      const events = (Array.isArray(event) ? event : [event]).map((one) => ({ at, ...one }));
      return this.redemptions.updateOne(
        { _id: id, event_keys: { $ne: key } },
        { ...fields, $push: { events: { $each: events }, event_keys: key } },
      );
    });
  }

  private inWriteQueue<T>(id: string, write: () => Promise<T>): Promise<T> {
    return inWriteQueue(`${this.redemptions.namespace}/${id}`, write);
  }

  get(id: string): Promise<RedemptionDocument | null> {
    return this.redemptions.findOne({ _id: id }, WITHOUT_EVENTS);
  }

  /** For the metrics: an index-backed count, meant for the statuses work waits in (bounded by work in flight). */
  countInStatus(status: RedemptionStatus): Promise<number> {
    return this.redemptions.countDocuments({ status });
  }

  /**
   * The points held by redemptions awaiting their order (what their holds keep from the members' available points),
   * by the partner that will fulfil them ('none' without one).
   */
  async pointsHeldByPartner(): Promise<Map<string, number>> {
    const waiting = await this.redemptions
      .find({ status: 'awaiting_order' }, { projection: { points: 1, partner: 1 } })
      .toArray();
    const held = new Map<string, number>();
    for (const { points, partner } of waiting)
      held.set(partner ?? 'none', (held.get(partner ?? 'none') ?? 0) + (points ?? 0));
    return held;
  }

  /** The redemption with its audit trail, oldest event first. */
  async getWithEvents(id: string): Promise<(RedemptionDocument & { events: RedemptionEvent[] }) | null> {
    const stored = await this.redemptions.findOne({ _id: id }, { projection: { event_keys: 0 } });
    if (!stored) return null;
    const events = stored.events.map(({ at, type, status, data }) => ({
      at: at.toISOString(),
      type,
      ...(status ? { status } : {}),
      ...(data ? { data } : {}),
    }));
    return { ...stored, events };
  }

  async list(filter: RedemptionFilter, page: { skip: number; limit: number; sort: Record<string, 1 | -1> }) {
    const query: Filter<StoredRedemption> = {};
    if (filter.member_id) query.member_id = filter.member_id;
    if (filter.status) query.status = filter.status;
    if (filter.coupon_code) query.coupon_code = filter.coupon_code;
    if (filter.order_id) query.order_id = filter.order_id;
    const [items, total] = await Promise.all([
      this.redemptions
        .find(query, { ...WITHOUT_EVENTS, sort: page.sort, skip: page.skip, limit: page.limit })
        .toArray(),
      this.redemptions.countDocuments(query),
    ]);
    return { items, total };
  }

  async findByCouponCode(code: string): Promise<RedemptionDocument | null> {
    const coupon = await this.coupons.findOne({ _id: code });
    return coupon ? this.get(coupon.redemption_id) : null;
  }

  findByOrderId(orderId: string): Promise<RedemptionDocument[]> {
    return this.redemptions.find({ order_id: orderId }, { ...WITHOUT_EVENTS, sort: { created_at: 1 } }).toArray();
  }

  /**
   * Gives the redemption its coupon code. Codes are unique by _id and a redemption has one coupon by a unique index,
   * so a retried or duplicated call returns the code already issued, and a (vanishingly rare) collision draws again.
   */
  async issueCoupon(redemptionId: string, draw: () => string): Promise<string> {
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

  async voidCoupon(redemptionId: string): Promise<void> {
    await this.coupons.updateOne({ redemption_id: redemptionId }, { $set: { voided_at: new Date() } });
  }
}
