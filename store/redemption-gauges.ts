/**
 * What the API's gauges read of the redemptions: how many wait in each status, and the points the holds of those
 * awaiting their order keep. Kept as counters that each status change moves, so a scrape reads a few small documents
 * however many redemptions wait; the reconciliation run recounts them from the redemptions, which also sets them up
 * on a store that has none yet and rights any count a crash between a status change and its counter left behind.
 */
import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import { WAITING_STATUSES, type RedemptionStatus } from '../domain/states';
import type { RedemptionDocument, StoredRedemption } from './redemptions';

interface GaugeDocument {
  _id: RedemptionStatus;
  count: number;
  /** For awaiting_order: the points held, by the partner that will fulfil them ('none' without one). */
  points_by_partner?: Record<string, number>;
  recounted_at?: Date;
}

/** What a status change moves in the gauges: the redemption's status, its partner and its points. */
export type GaugedRedemption = Pick<RedemptionDocument, 'status' | 'partner' | 'points'>;

export interface GaugeCounts {
  waiting: Map<RedemptionStatus, number>;
  pointsHeldByPartner: Map<string, number>;
}

function isWaiting(status: RedemptionStatus): boolean {
  return WAITING_STATUSES.includes(status);
}

function partnerKey(partner: string | null | undefined): string {
  return partner ?? 'none';
}

export class RedemptionGauges {
  private readonly gauges: Collection<GaugeDocument>;
  private readonly redemptions: Collection<StoredRedemption>;

  constructor(db: Db) {
    this.gauges = db.collection<GaugeDocument>('redemption_gauges');
    this.redemptions = db.collection<StoredRedemption>('redemptions');
  }

  /** Counts a redemption's move from one status to another; null for a redemption just created. */
  async moved(before: GaugedRedemption | null, after: GaugedRedemption): Promise<void> {
    if (before?.status === after.status) return;
    const operations: AnyBulkWriteOperation<GaugeDocument>[] = [];
    if (before && isWaiting(before.status)) operations.push(this.change(before, -1));
    if (isWaiting(after.status)) operations.push(this.change(after, 1));
    if (operations.length > 0) await this.gauges.bulkWrite(operations, { ordered: false });
  }

  private change(redemption: GaugedRedemption, sign: 1 | -1): AnyBulkWriteOperation<GaugeDocument> {
    const points =
      redemption.status === 'awaiting_order'
        ? { [`points_by_partner.${partnerKey(redemption.partner)}`]: sign * (redemption.points ?? 0) }
        : {};
    return {
      updateOne: { filter: { _id: redemption.status }, update: { $inc: { count: sign, ...points } }, upsert: true },
    };
  }

  /** The counts, set up from the redemptions first on a store that has none yet. */
  async read(): Promise<GaugeCounts> {
    let documents = await this.gauges.find({}).toArray();
    if (!documents.some((document) => document.recounted_at)) {
      await this.recount();
      documents = await this.gauges.find({}).toArray();
    }
    const byStatus = new Map(documents.map((document) => [document._id, document]));
    return {
      waiting: new Map(WAITING_STATUSES.map((status) => [status, byStatus.get(status)?.count ?? 0])),
      pointsHeldByPartner: new Map(Object.entries(byStatus.get('awaiting_order')?.points_by_partner ?? {})),
    };
  }

  /**
   * Sets the counters to what the redemptions say: a read of every waiting redemption, run by reconciliation. A
   * status change made while it reads may be counted twice or not at all until the next recount.
   */
  async recount(): Promise<void> {
    const counts = new Map<RedemptionStatus, { count: number; points_by_partner: Record<string, number> }>(
      WAITING_STATUSES.map((status) => [status, { count: 0, points_by_partner: {} }]),
    );
    const waiting = this.redemptions.find(
      { status: { $in: WAITING_STATUSES } },
      { projection: { status: 1, partner: 1, points: 1 } },
    );
    for await (const { status, partner, points } of waiting) {
      const gauge = counts.get(status)!;
      gauge.count += 1;
      if (status === 'awaiting_order') {
        const key = partnerKey(partner);
        gauge.points_by_partner[key] = (gauge.points_by_partner[key] ?? 0) + (points ?? 0);
      }
    }
    const recounted_at = new Date();
    await this.gauges.bulkWrite(
      [...counts].map(([status, gauge]) => ({
        replaceOne: { filter: { _id: status }, replacement: { ...gauge, recounted_at }, upsert: true },
      })),
      { ordered: false },
    );
  }
}
