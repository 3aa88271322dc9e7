import type { Collection, Db, Filter } from 'mongodb';
import type { LimitSlot } from '../domain/limits';
import type { PartnerName } from '../domain/partners';
import { utcDay, type ReportedRedemption } from '../domain/reports';
import type { CreateRedemptionRequest, RedemptionEvent } from '../domain/redemption';
import type { RedemptionStatus, RejectionReason } from '../domain/states';
import { inBatches } from './batches';
import { duplicateKeyIndex } from './duplicate-key';
import { PartnerCalls } from './partner-calls';
import { WriteQueue } from './write-queue';

export interface RedemptionDocument {
  _id: string;
  /**
   * The API client that created it: it alone reads it, besides operators. Null for a partner's (Deliverect's)
   * redemptions; absent on those stored before clients owned them. Either way only operators read them.
   */
  client_id?: string | null;
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
  /** The slots the redemption took in its option's limits, given back when it ends without its reward. */
  limit_slots?: LimitSlot[];
  /** The subtotal of the order that used the coupon, when it said (minor units): partial cancels by amount need it. */
  order_subtotal?: number;
  /** Points given back by cancellations of the order so far; absent before any (a refunded one gave back all). */
  points_refunded?: number;
  /** The cumulative amount of the order's subtotal cancelled, capped at the subtotal. */
  amount_cancelled?: number;
  /** The partial cancellations applied, each with the points it refunded, so that a resent one refunds nothing more. */
  order_cancellations?: AppliedCancellation[];
  created_at: Date;
  /**
   * The UTC day of created_at (`2026-11-27`): reports read a range one day at a time by this indexed equality, because
   * FerretDB v1 does not push a range filter down to PostgreSQL. Absent on redemptions stored before it existed.
   */
  created_day?: string;
  updated_at: Date;
  /** The version of the workflow step that last changed the status; only a newer step changes it again. */
  version: number;
}

/** What reconciliation reads of a redemption. */
export type RedemptionState = Pick<
  RedemptionDocument,
  '_id' | 'status' | 'points' | 'member_id' | 'version' | 'points_refunded' | 'expires_at' | 'updated_at'
>;

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
    | 'limit_slots'
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
  /** Only this client's redemptions. */
  client_id?: string;
  member_id?: string;
  status?: RedemptionStatus;
  coupon_code?: string;
  order_id?: string;
}

function stored(document: RedemptionDocument, events: StoredEvent[]): StoredRedemption {
  return { ...document, events, event_keys: [] };
}

function withoutEvents(redemption: StoredRedemption): RedemptionDocument {
  const document: Partial<StoredRedemption> = { ...redemption };
  delete document.events;
  delete document.event_keys;
  return document as RedemptionDocument;
}

/** Readers of the redemption's state do not carry its audit trail around. */
const WITHOUT_EVENTS = { projection: { events: 0, event_keys: 0 } } as const;

/**
 * Each redemption's writes in this process, one after another. FerretDB v1 applies an update as read, change, replace,
 * so two writes to one redemption at once can lose one of them (MongoDB cannot). The workflow writes its redemption
 * one step at a time; what can still overlap within a worker (a partner attempt finishing past its deadline while
 * compensation runs, a local activity retried while its timed-out attempt still runs) is queued here.
 */
const writeQueue = new WriteQueue();

/** A write to a redemption found no document for it: the store lost it, or it was deleted. */
export class RedemptionMissingError extends Error {
  constructor(readonly redemptionId: string) {
    super(
      `Redemption ${redemptionId} is not in the store, although its first step stored it: the store lost an acknowledged write, or it was deleted.`,
    );
  }
}

export class Redemptions {
  private readonly redemptions: Collection<StoredRedemption>;
  private readonly coupons: Collection<CouponDocument>;
  private readonly partnerCalls: PartnerCalls;

  constructor(db: Db) {
    this.partnerCalls = new PartnerCalls(db);
    this.redemptions = db.collection<StoredRedemption>('redemptions');
    this.coupons = db.collection<CouponDocument>('coupons');
  }

  /**
   * Records a new redemption with its first audit event; a retried call finds it already there and changes nothing.
   * True when this call created it.
   */
  async createIfMissing(document: RedemptionDocument, event: AuditEvent): Promise<boolean> {
    try {
      await this.redemptions.insertOne(stored(document, [{ at: document.created_at, ...event }]));
      return true;
    } catch (error) {
      if (duplicateKeyIndex(error) === undefined) throw error;
      return false;
    }
  }

  /**
   * Imports finished redemptions in bulk (a merchant's history, migrated) with their audit trails and coupons, in the
   * layout the workflow's steps write.
   */
  async importMany(redemptions: Array<{ document: RedemptionDocument; events: StoredEvent[] }>): Promise<void> {
    if (redemptions.length === 0) return;
    await this.redemptions.insertMany(
      redemptions.map(({ document, events }) =>
        stored({ created_day: utcDay(document.created_at), ...document }, events),
      ),
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
   * The redemption as this call left it (without its audit trail), or null when it applied nothing because a newer
   * step had; RedemptionMissingError when there is no redemption to apply it to.
   */
  async changeStatus(
    id: string,
    version: number,
    changes: RedemptionChanges & { status: RedemptionStatus },
    events: AuditEvent[],
  ): Promise<RedemptionDocument | null> {
    const written = await this.inWriteQueue(id, () => {
      const at = new Date();
      // No projection: FerretDB v1's findAndModify has none. The audit trail is dropped here instead.
      return this.redemptions.findOneAndUpdate(
        { _id: id, version: { $lt: version } },
        {
          $set: { ...changes, version, updated_at: at },
          $push: { events: { $each: events.map((event) => ({ at, ...event })) } },
        },
        { returnDocument: 'after' },
      );
    });
    if (written) return withoutEvents(written);
    await this.mustExist(id);
    return null;
  }

  private async mustExist(id: string): Promise<void> {
    const found = await this.redemptions.findOne({ _id: id }, { projection: { _id: 1 } });
    if (!found) throw new RedemptionMissingError(id);
  }

  /**
   * Appends audit events outside a status change, with the fields they set if any; the key makes a repeat a no-op.
   * RedemptionMissingError when there is no redemption to append to.
   */
  async appendEvent(
    id: string,
    key: string,
    event: AuditEvent | AuditEvent[],
    changes: RedemptionChanges = {},
  ): Promise<void> {
    const { matchedCount } = await this.inWriteQueue(id, () => {
      const at = new Date();
      const fields = Object.keys(changes).length > 0 ? { $set: { ...changes, updated_at: at } } : {};
      const events = (Array.isArray(event) ? event : [event]).map((one) => ({ at, ...one }));
      return this.redemptions.updateOne(
        { _id: id, event_keys: { $ne: key } },
        { ...fields, $push: { events: { $each: events }, event_keys: key } },
      );
    });
    if (matchedCount === 0) await this.mustExist(id);
  }

  private inWriteQueue<T>(id: string, write: () => Promise<T>): Promise<T> {
    return writeQueue.run(`${this.redemptions.namespace}/${id}`, write);
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

  /** What the report reads of the redemptions created on a UTC day, streamed (an indexed equality, one day at a time). */
  createdOn(day: string): AsyncIterable<ReportedRedemption> {
    return this.redemptions.find<ReportedRedemption>(
      { created_day: day },
      {
        projection: {
          _id: 0,
          created_at: 1,
          created_day: 1,
          status: 1,
          points: 1,
          partner: 1,
          redemption_option_id: 1,
          points_refunded: 1,
        },
        batchSize: 1_000,
      },
    );
  }

  /**
   * Gives `created_day` to the redemptions stored before it existed (a scan, run once by `npm run backfill:report-days`);
   * returns how many it changed. Atomic per document on MongoDB; FerretDB v1 applies an update as read, change,
   * replace, so there it runs with the workers stopped, lest a step's write to the same redemption be lost.
   */
  async backfillCreatedDay(): Promise<number> {
    let changed = 0;
    const legacy = this.redemptions.find(
      { created_day: { $exists: false } },
      { projection: { _id: 1, created_at: 1 } },
    );
    for await (const { _id, created_at } of legacy) {
      const result = await this.inWriteQueue(_id, () =>
        this.redemptions.updateOne(
          { _id, created_day: { $exists: false } },
          { $set: { created_day: utcDay(created_at) } },
        ),
      );
      changed += result.modifiedCount;
    }
    return changed;
  }

  /** The ids of a member's redemptions (reconciliation checks that the member's entries name only those). */
  async idsOfMember(memberId: string): Promise<Set<string>> {
    const documents = await this.redemptions.find({ member_id: memberId }, { projection: { _id: 1 } }).toArray();
    return new Set(documents.map((document) => document._id));
  }

  /** Every redemption's status and points, in batches (reconciliation reads them all, holding one batch). */
  statesInBatches(size: number): AsyncGenerator<RedemptionState[]> {
    const states = this.redemptions.find<RedemptionState>(
      {},
      {
        projection: {
          _id: 1,
          status: 1,
          points: 1,
          member_id: 1,
          version: 1,
          points_refunded: 1,
          expires_at: 1,
          updated_at: 1,
        },
        batchSize: size,
      },
    );
    return inBatches(states, size);
  }

  /**
   * The redemption with its audit trail, oldest event first: the events its workflow wrote into its document, and its
   * partner calls, each recorded apart by the attempt that made it (store/partner-calls.ts).
   */
  async getWithEvents(id: string): Promise<(RedemptionDocument & { events: RedemptionEvent[] }) | null> {
    const [stored, partnerCalls] = await Promise.all([
      this.redemptions.findOne({ _id: id }, { projection: { event_keys: 0 } }),
      this.partnerCalls.ofRedemption(id),
    ]);
    if (!stored) return null;
    // Stable: events of the same instant keep the order they were written in.
    const trail = [...stored.events, ...partnerCalls].sort((a, b) => a.at.getTime() - b.at.getTime());
    const events = trail.map(({ at, type, status, data, client }) => ({
      at: at.toISOString(),
      type,
      ...(status ? { status } : {}),
      ...(data ? { data } : {}),
      ...(client ? { client } : {}),
    }));
    return { ...stored, events };
  }

  async list(filter: RedemptionFilter, page: { skip: number; limit: number; sort: Record<string, 1 | -1> }) {
    const query: Filter<StoredRedemption> = {};
    if (filter.client_id !== undefined) query.client_id = filter.client_id;
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
