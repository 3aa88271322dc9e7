import type { Collection, Db, Filter } from 'mongodb';
import type { LimitSlot } from '../domain/limits';
import type { PartnerName } from '../domain/partners';
import type { CreateRedemptionRequest, RedemptionEvent } from '../domain/redemption';
import type { RedemptionStatus, RejectionReason } from '../domain/states';
import { dialectOf, type StoreDialect } from './dialect';
import { duplicateKeyIndex } from './duplicate-key';
import { PartnerCalls } from './partner-calls';
import { RedemptionGauges } from './redemption-gauges';
import { confirmNothingFound } from './outage';

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
  /**
   * The coupon code again, present only once one is issued: the unique index that keeps codes unique is on this
   * field, sparse, because `coupon_code` is null until then and nulls would collide. Absent on redemptions recorded
   * before it existed, whose codes the `coupons` collection kept unique (`npm run backfill:coupon-codes` adds it).
   */
  issued_coupon_code?: string;
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
    | 'issued_coupon_code'
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
export interface StoredRedemption extends RedemptionDocument {
  events: StoredEvent[];
  /**
   * The keys of the events appended outside status changes, so that a repeated append finds its own. They are kept
   * apart because FerretDB v1 cannot filter on a field of the documents in an array (`events.key`).
   */
  event_keys: string[];
}

export interface RedemptionFilter {
  /** Only this client's redemptions. */
  client_id?: string;
  member_id?: string;
  status?: RedemptionStatus;
  coupon_code?: string;
  order_id?: string;
}

/** The collection of redemptions, for the store's modules that read it for one job each. */
export function redemptionsCollection(db: Db): Collection<StoredRedemption> {
  return db.collection<StoredRedemption>('redemptions');
}

export function stored(document: RedemptionDocument, events: StoredEvent[]): StoredRedemption {
  return { ...document, events, event_keys: [] };
}

function withoutEvents(redemption: StoredRedemption): RedemptionDocument {
  const document: Partial<StoredRedemption> = { ...redemption };
  delete document.events;
  delete document.event_keys;
  return document as RedemptionDocument;
}

/** Readers of the redemption's state do not carry its audit trail around. */
export const WITHOUT_EVENTS = { projection: { events: 0, event_keys: 0 } } as const;

/** A write to a redemption found no document for it: the store lost it, or it was deleted. */
export class RedemptionMissingError extends Error {
  constructor(readonly redemptionId: string) {
    super(
      `Redemption ${redemptionId} is not in the store, although its first step stored it: the store lost an acknowledged write, or it was deleted.`,
    );
  }
}

/** The coupon code a write gave its redemption is another redemption's already: the step draws another. */
export class CouponCodeTakenError extends Error {
  constructor(readonly code: string) {
    super(`Coupon code ${code} is another redemption's.`);
  }
}

/** A duplicate key error of a write that set a coupon code is that code's (the only unique index but `_id`). */
function couponCodeTaken(error: unknown, document: Pick<RedemptionDocument, 'issued_coupon_code'>): unknown {
  if (duplicateKeyIndex(error) === undefined || document.issued_coupon_code === undefined) return error;
  return new CouponCodeTakenError(document.issued_coupon_code);
}

export class Redemptions {
  private readonly redemptions: Collection<StoredRedemption>;
  private readonly dialect: StoreDialect;
  private readonly partnerCalls: PartnerCalls;
  private readonly gauges: RedemptionGauges;

  constructor(db: Db) {
    this.gauges = new RedemptionGauges(db);
    this.partnerCalls = new PartnerCalls(db);
    this.redemptions = db.collection<StoredRedemption>('redemptions');
    this.dialect = dialectOf(db);
  }

  /**
   * Records a new redemption with its first audit events (each at the document's updated_at unless it says when); a
   * retried call finds it already there and changes nothing. True when this call created it; CouponCodeTakenError
   * when its coupon code is another redemption's.
   */
  async createIfMissing(document: RedemptionDocument, events: Array<AuditEvent & { at?: Date }>): Promise<boolean> {
    try {
      await this.redemptions.insertOne(
        stored(
          document,
          events.map((event) => ({ at: document.updated_at, ...event })),
        ),
      );
      this.gauges.moved(null, document);
      return true;
    } catch (error) {
      if (duplicateKeyIndex(error) === undefined) throw error;
      // FerretDB's error does not name the index: the redemption is there already, or its coupon code is taken.
      if (await this.redemptions.findOne({ _id: document._id }, { projection: { _id: 1 } })) return false;
      throw couponCodeTaken(error, document);
    }
  }

  /**
   * One status-changing step of the redemption's workflow: its changes and audit events in one write. It applies only
   * over an older version, so a repeated step changes nothing and a late one cannot move the redemption backwards.
   * The redemption as this call left it (without its audit trail), or null when it applied nothing because a newer
   * step had; RedemptionMissingError when there is no redemption to apply it to, CouponCodeTakenError when the coupon
   * code it sets is another redemption's.
   */
  async changeStatus(
    id: string,
    version: number,
    changes: RedemptionChanges & { status: RedemptionStatus },
    events: AuditEvent[],
  ): Promise<RedemptionDocument | null> {
    const at = new Date();
    const set = { ...changes, version, updated_at: at };
    const before = await this.inWriteQueue(id, () =>
      // No projection: FerretDB v1's findAndModify has none. The audit trail is dropped here instead.
      this.redemptions
        .findOneAndUpdate(
          { _id: id, version: { $lt: version } },
          { $set: set, $push: { events: { $each: events.map((event) => ({ at, ...event })) } } },
          { returnDocument: 'before' },
        )
        .catch((error: unknown) => {
          throw couponCodeTaken(error, changes);
        }),
    );
    if (!before) {
      await this.mustExist(id);
      return null;
    }
    const after = withoutEvents(before);
    // As the store applied it: the client drops fields set to undefined (ignoreUndefined).
    for (const [field, value] of Object.entries(set)) if (value !== undefined) Object.assign(after, { [field]: value });
    this.gauges.moved(before, after);
    return after;
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

  /**
   * Writes to one redemption from this process, one after another where the store needs it (store/dialect.ts): the
   * workflow writes its redemption one step at a time, but a local activity retried while its timed-out attempt still
   * runs can overlap.
   */
  private inWriteQueue<T>(id: string, write: () => Promise<T>): Promise<T> {
    return this.dialect.serialized(`${this.redemptions.namespace}/${id}`, write);
  }

  get(id: string): Promise<RedemptionDocument | null> {
    return this.redemptions.findOne({ _id: id }, WITHOUT_EVENTS);
  }

  /** get(), for a caller that refuses when there is none: null only once the store shows the collection. */
  async getConfirmed(id: string): Promise<RedemptionDocument | null> {
    const document = await this.get(id);
    if (!document) await confirmNothingFound(this.redemptions);
    return document;
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
    if (!stored) {
      await confirmNothingFound(this.redemptions);
      return null;
    }
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

  /**
   * The redemption whose coupon has that code, in one read: a redemption carries its code from the step that issued
   * the coupon. Null only once the store shows the collection (see confirmNothingFound).
   */
  async findByCouponCode(code: string): Promise<RedemptionDocument | null> {
    const document = await this.redemptions.findOne({ coupon_code: code }, WITHOUT_EVENTS);
    if (!document) await confirmNothingFound(this.redemptions);
    return document;
  }

  /** The redemptions an order used, oldest first; none only once the store shows the collection (confirmNothingFound). */
  async findByOrderId(orderId: string): Promise<RedemptionDocument[]> {
    const documents = await this.redemptions
      .find({ order_id: orderId }, { ...WITHOUT_EVENTS, sort: { created_at: 1 } })
      .toArray();
    if (documents.length === 0) await confirmNothingFound(this.redemptions);
    return documents;
  }
}
