/**
 * Partner notifications that must not be lost: Deliverect never retries after any HTTP answer, so each one is written
 * here before we answer, keyed on the partner's own ids (a duplicate delivery finds it already there), and marked
 * done once the work it asks for has been handed to Temporal. Anything left undone is resumed.
 */
import type { Collection, Db } from 'mongodb';
import { duplicateKeyIndex } from './duplicate-key';

export interface PartnerNotification {
  _id: string;
  partner: string;
  kind: string;
  /** The body exactly as received: lossless, and safe to store whatever keys the partner's JSON has. */
  raw: string;
  order_id: string;
  state: 'received' | 'done';
  redemption_ids: string[];
  received_at: Date;
  done_at?: Date;
}

export class PartnerNotifications {
  private readonly notifications: Collection<PartnerNotification>;

  constructor(db: Db) {
    this.notifications = db.collection<PartnerNotification>('partner_notifications');
  }

  /** Records a notification; false when one with this id was already recorded (a duplicate delivery). */
  async record(notification: Omit<PartnerNotification, 'state' | 'received_at'>): Promise<boolean> {
    try {
      await this.notifications.insertOne({ ...notification, state: 'received', received_at: new Date() });
      return true;
    } catch (error) {
      if (duplicateKeyIndex(error) === undefined) throw error;
      return false;
    }
  }

  async markDone(id: string): Promise<void> {
    await this.notifications.updateOne({ _id: id }, { $set: { state: 'done', done_at: new Date() } });
  }

  get(id: string): Promise<PartnerNotification | null> {
    return this.notifications.findOne({ _id: id });
  }

  /** How many of a partner's notifications wait to be handed to Temporal (the inbox backlog). */
  countPending(partner: string): Promise<number> {
    return this.notifications.countDocuments({ partner, state: 'received' });
  }

  pending(partner: string): Promise<PartnerNotification[]> {
    return this.notifications.find({ partner, state: 'received' }, { sort: { received_at: 1 } }).toArray();
  }
}
