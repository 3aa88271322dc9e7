/**
 * What the API's gauges read of the redemptions: how many wait in a status, and the points their holds keep. Both are
 * bounded by the work in flight, not by the store's history, because they read only statuses work waits in.
 */
import type { Collection, Db } from 'mongodb';
import type { RedemptionStatus } from '../domain/states';
import { redemptionsCollection, type StoredRedemption } from './redemptions';

export class RedemptionGauges {
  private readonly redemptions: Collection<StoredRedemption>;

  constructor(db: Db) {
    this.redemptions = redemptionsCollection(db);
  }

  /** An index-backed count, meant for the statuses work waits in. */
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
}
