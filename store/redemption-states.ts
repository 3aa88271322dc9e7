/** What reconciliation reads of the redemptions: every one's state in batches, and a member's redemption ids. */
import type { Collection, Db } from 'mongodb';
import { inBatches } from './batches';
import { redemptionsCollection, type RedemptionDocument, type StoredRedemption } from './redemptions';

/** What reconciliation reads of a redemption. */
export type RedemptionState = Pick<
  RedemptionDocument,
  '_id' | 'status' | 'points' | 'member_id' | 'version' | 'points_refunded' | 'expires_at' | 'updated_at'
>;

export class RedemptionStates {
  private readonly redemptions: Collection<StoredRedemption>;

  constructor(db: Db) {
    this.redemptions = redemptionsCollection(db);
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
}
