/**
 * Partner notifications that must not be lost: Deliverect never retries after any HTTP answer, so each one is written
 * here before we answer, keyed on the partner's own ids (a duplicate delivery finds it already there). Its work is then
 * handed to Temporal (`handed_over`), done once the workflows it asks for have confirmed it (`done`), or given up with
 * the reason (`dead_letter`) for an operator to read. Anything not handed over yet is handed over again.
 */
import type { Collection, Db } from 'mongodb';
import type { DeadLetterReason } from '../domain/partner-inbox';
import { duplicateKeyIndex } from './duplicate-key';

export type NotificationState = 'received' | 'handed_over' | 'done' | 'dead_letter';

export interface PartnerNotification {
  _id: string;
  partner: string;
  kind: string;
  /** The body exactly as received: lossless, and safe to store whatever keys the partner's JSON has. */
  raw: string;
  order_id: string;
  state: NotificationState;
  redemption_ids: string[];
  received_at: Date;
  handed_over_at?: Date;
  done_at?: Date;
  dead_lettered_at?: Date;
  dead_letter?: DeadLetterReason;
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

  /** Temporal has it; a notification its workflow already finished stays as it is. */
  async markHandedOver(id: string): Promise<void> {
    await this.notifications.updateOne(
      { _id: id, state: 'received' },
      { $set: { state: 'handed_over', handed_over_at: new Date() } },
    );
  }

  /** Its work is done; a notification handed over again (a resent delivery) keeps when it was first done. */
  async markDone(id: string): Promise<void> {
    await this.notifications.updateOne(
      { _id: id, state: { $ne: 'done' } },
      { $set: { state: 'done', done_at: new Date() } },
    );
  }

  /** Gives the notification up; with `onlyIf`, only while it is still in that state. */
  async deadLetter(id: string, why: DeadLetterReason, onlyIf?: NotificationState): Promise<void> {
    await this.notifications.updateOne(
      { _id: id, ...(onlyIf ? { state: onlyIf } : {}) },
      { $set: { state: 'dead_letter', dead_letter: why, dead_lettered_at: new Date() } },
    );
  }

  get(id: string): Promise<PartnerNotification | null> {
    return this.notifications.findOne({ _id: id });
  }

  /** How many of a partner's notifications are in one state (the inbox's backlog and its dead letters). */
  countInState(partner: string, state: NotificationState): Promise<number> {
    return this.notifications.countDocuments({ partner, state });
  }

  /** The notifications not handed to Temporal yet, oldest first. */
  notHandedOver(partner: string): Promise<PartnerNotification[]> {
    return this.notifications.find({ partner, state: 'received' }, { sort: { received_at: 1 } }).toArray();
  }

  /** A page of the dead letters, the newest given up first. */
  async deadLetters(page: { skip: number; limit: number }) {
    const filter = { state: 'dead_letter' as const };
    const [items, total] = await Promise.all([
      this.notifications
        .find(filter, { projection: { raw: 0 }, sort: { dead_lettered_at: -1, _id: 1 }, ...page })
        .toArray(),
      this.notifications.countDocuments(filter),
    ]);
    return { items: items as Array<Omit<PartnerNotification, 'raw'>>, total };
  }
}
