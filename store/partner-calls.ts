/**
 * The audit of each attempt to call a partner, one document per attempt (`<redemption>/<key>`), apart from the
 * redemption's document: the partner activity runs on whichever worker Temporal gives it, while the redemption's own
 * workflow writes its document, and FerretDB v1 applies an update as read, change, replace, so two processes writing
 * one document can lose each other's writes. Each document here has one writer, and a retried write is a no-op.
 */
import type { Collection, Db } from 'mongodb';
import { duplicateKeyIndex } from './duplicate-key';
import type { AuditEvent, StoredEvent } from './redemptions';

interface PartnerCallDocument extends StoredEvent {
  _id: string;
  redemption_id: string;
}

export class PartnerCalls {
  private readonly calls: Collection<PartnerCallDocument>;

  constructor(db: Db) {
    this.calls = db.collection<PartnerCallDocument>('partner_calls');
  }

  /** Records the attempt's event under its key, once: a retried write finds it there and changes nothing. */
  async record(redemptionId: string, key: string, event: AuditEvent): Promise<void> {
    try {
      await this.calls.insertOne({
        _id: `${redemptionId}/${key}`,
        redemption_id: redemptionId,
        at: new Date(),
        ...event,
      });
    } catch (error) {
      if (duplicateKeyIndex(error) === undefined) throw error;
    }
  }

  /** Whether the attempt under this key recorded its event (an `_id` read). */
  async has(redemptionId: string, key: string): Promise<boolean> {
    return (await this.calls.findOne({ _id: `${redemptionId}/${key}` }, { projection: { _id: 1 } })) !== null;
  }

  /** The redemption's partner calls, oldest first. */
  async ofRedemption(redemptionId: string): Promise<StoredEvent[]> {
    const calls = await this.calls.find({ redemption_id: redemptionId }).toArray();
    return calls
      .map(({ at, type, status, data }) => ({ at, type, ...(status ? { status } : {}), ...(data ? { data } : {}) }))
      .sort((a, b) => a.at.getTime() - b.at.getTime());
  }
}
