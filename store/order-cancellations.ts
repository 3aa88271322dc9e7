/**
 * The order cancellations that came with an Idempotency-Key, each with a hash of what it cancelled (a part, or the
 * whole order), so that the key sent again with another body is told apart from a resend.
 */
import type { Collection, Db } from 'mongodb';
import { duplicateKeyIndex } from './duplicate-key';

export interface OrderCancellationDocument {
  /** The cancellation id (`ocx_…`), derived from the client, the order and the key. */
  _id: string;
  order_id: string;
  request_hash: string;
  created_at: Date;
}

export class OrderCancellations {
  private readonly cancellations: Collection<OrderCancellationDocument>;

  constructor(db: Db) {
    this.cancellations = db.collection<OrderCancellationDocument>('order_cancellations');
  }

  /** Records the cancellation the first time; true when it is new or a resend of the same body. */
  async sameAsFirst(cancellation: Omit<OrderCancellationDocument, 'created_at'>): Promise<boolean> {
    try {
      await this.cancellations.insertOne({ ...cancellation, created_at: new Date() });
      return true;
    } catch (error) {
      if (duplicateKeyIndex(error) === undefined) throw error;
    }
    const first = await this.cancellations.findOne({ _id: cancellation._id });
    return first?.request_hash === cancellation.request_hash;
  }
}
