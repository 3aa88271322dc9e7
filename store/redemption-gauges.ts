/**
 * What the API's gauges read of the redemptions: how many wait in each status, and the points the holds of those
 * awaiting their order keep. Kept as counters that status changes move, so a scrape reads a few small documents
 * however many redemptions wait. A process adds up its changes and writes them every FLUSH_EVERY_MS in one write, so
 * a status change costs no store round trip of its own; the reconciliation run recounts the counters from the
 * redemptions, which also sets them up on a store that has none yet and rights what a killed process had not written.
 */
import {
  MongoNotConnectedError,
  MongoTopologyClosedError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
} from 'mongodb';
import { WAITING_STATUSES, type RedemptionStatus } from '../domain/states';
import { isOnlyDuplicateKeys } from './duplicate-key';
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

/** How often a process writes the changes it counted. */
const FLUSH_EVERY_MS = 1_000;

/** The changes a process has counted and not written yet, by counter field, for each status's document. */
type Deltas = Map<RedemptionStatus, Map<string, number>>;

/** One per store per process, however many RedemptionGauges are made. */
const pendingByDb = new WeakMap<Db, { deltas: Deltas; timer?: NodeJS.Timeout }>();

function isWaiting(status: RedemptionStatus): boolean {
  return WAITING_STATUSES.includes(status);
}

function partnerKey(partner: string | null | undefined): string {
  return partner ?? 'none';
}

export class RedemptionGauges {
  private readonly gauges: Collection<GaugeDocument>;
  private readonly redemptions: Collection<StoredRedemption>;

  constructor(private readonly db: Db) {
    this.gauges = db.collection<GaugeDocument>('redemption_gauges');
    this.redemptions = db.collection<StoredRedemption>('redemptions');
  }

  /** Counts a redemption's move from one status to another (null for one just created); written within a second. */
  moved(before: GaugedRedemption | null, after: GaugedRedemption): void {
    if (before?.status === after.status) return;
    if (before && isWaiting(before.status)) this.add(before, -1);
    if (isWaiting(after.status)) this.add(after, 1);
  }

  private add(redemption: GaugedRedemption, sign: 1 | -1): void {
    let pending = pendingByDb.get(this.db);
    if (!pending) pendingByDb.set(this.db, (pending = { deltas: new Map() }));
    const fields = pending.deltas.get(redemption.status) ?? new Map<string, number>();
    pending.deltas.set(redemption.status, fields);
    const increase = (field: string, by: number) => fields.set(field, (fields.get(field) ?? 0) + by);
    increase('count', sign);
    if (redemption.status === 'awaiting_order') {
      increase(`points_by_partner.${partnerKey(redemption.partner)}`, sign * (redemption.points ?? 0));
    }
    pending.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS).unref();
  }

  /** Writes the changes counted so far; those a failed write could not write wait for the next. */
  async flush(): Promise<void> {
    const pending = pendingByDb.get(this.db);
    if (!pending) return;
    pending.timer = undefined;
    const deltas = pending.deltas;
    pending.deltas = new Map();
    const operations: AnyBulkWriteOperation<GaugeDocument>[] = [...deltas].map(([status, fields]) => ({
      updateOne: { filter: { _id: status }, update: { $inc: Object.fromEntries(fields) }, upsert: true },
    }));
    if (operations.length === 0) return;
    try {
      await this.gauges.bulkWrite(operations, { ordered: false });
    } catch (error) {
      // The process closed its connection: nothing more will be written (a recount rights what it leaves).
      if (error instanceof MongoTopologyClosedError || error instanceof MongoNotConnectedError) return;
      // Not written: counted again with the next changes (a recount rights whatever a killed process loses).
      for (const [status, fields] of deltas) {
        for (const [field, by] of fields) {
          const current = pending.deltas.get(status) ?? new Map<string, number>();
          pending.deltas.set(status, current.set(field, (current.get(field) ?? 0) + by));
        }
      }
      pending.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS).unref();
    }
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
    await this.flush();
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
    const replace = () =>
      this.gauges.bulkWrite(
        [...counts].map(([status, gauge]) => ({
          replaceOne: { filter: { _id: status }, replacement: { ...gauge, recounted_at }, upsert: true },
        })),
        { ordered: false },
      );
    try {
      await replace();
    } catch (error) {
      // Another process created a counter at the same moment: it exists now, and is replaced.
      if (!isOnlyDuplicateKeys(error)) throw error;
      await replace();
    }
  }
}
