/**
 * The events each endpoint was sent, kept so that a replay can send them again: the endpoint's lane keeps an event
 * here once it leaves the outbox, delivered or given up, and a replay reads back those that happened in its window.
 * They are kept as long as the delivery attempts (WEBHOOK_DELIVERY_RETENTION_DAYS): the lane drops an endpoint's
 * older days now and then, and all of them once the endpoint is deleted.
 */
import type { Collection, Db } from 'mongodb';
import { daysOf, utcDay } from '../domain/reports';
import { dialectOf } from './dialect';
import { isOnlyDuplicateKeys } from './duplicate-key';
import { owedEventOf, type OwedEvent, type OwedWebhookDocument } from './webhooks';

export interface SentWebhookDocument extends OwedEvent {
  /** `<endpoint>/<UTC day the event happened>`: what FerretDB reads a window by, a day at a time, and what pruning drops. */
  endpoint_day: string;
}

const DAY_MS = 24 * 3600 * 1000;

function endpointDay(endpointId: string, day: string): string {
  return `${endpointId}/${day}`;
}

export class WebhookHistory {
  private readonly sent: Collection<SentWebhookDocument>;
  /** Per endpoint, the first UTC day whose events are still kept (the days before it were dropped). */
  private readonly pruned: Collection<{ _id: string; kept_from: string }>;

  constructor(private readonly db: Db) {
    this.sent = db.collection<SentWebhookDocument>('webhook_history');
    this.pruned = db.collection<{ _id: string; kept_from: string }>('webhook_history_pruning');
  }

  /**
   * Keeps what a lane's round settled. Keyed like the outbox (`<endpoint>/<event>`): an event kept before, by a round
   * repeated after a crash or one that delivered a replay, stays as first kept.
   */
  async keep(settled: OwedWebhookDocument[]): Promise<void> {
    if (settled.length === 0) return;
    const events = settled.map((owed) => ({
      ...owedEventOf(owed),
      endpoint_day: endpointDay(owed.endpoint_id, utcDay(owed.created_at)),
    }));
    try {
      await this.sent.insertMany(events, { ordered: false });
    } catch (error) {
      if (!isOnlyDuplicateKeys(error)) throw error;
    }
  }

  /**
   * The endpoint's events that happened in [since, until), in no particular order. On FerretDB a UTC day at a time,
   * each an indexed equality on `endpoint_day` (it does not push a range down to PostgreSQL); on MongoDB one index
   * range. Either way it reads what the window holds, not the endpoint's whole history.
   */
  async *between(endpointId: string, since: Date, until: Date): AsyncIterable<SentWebhookDocument> {
    if (!dialectOf(this.db).rangesByDay) {
      yield* this.sent.find({ endpoint_id: endpointId, created_at: { $gte: since, $lt: until } });
      return;
    }
    for (const day of daysOf(since, until)) {
      for await (const event of this.sent.find({ endpoint_day: endpointDay(endpointId, day) })) {
        if (event.created_at >= since && event.created_at < until) yield event;
      }
    }
  }

  /**
   * Drops the endpoint's events of the UTC days before `cutoff`'s, from where the last pruning stopped (at first, the
   * day before the endpoint was registered: an event can have happened a moment before, and been emitted after). How
   * many days it dropped.
   */
  async prune(endpointId: string, registeredAt: Date, cutoff: Date): Promise<number> {
    const keptFrom = new Date(utcDay(cutoff));
    const done = await this.pruned.findOne({ _id: endpointId });
    const days = daysOf(done ? new Date(done.kept_from) : new Date(registeredAt.getTime() - DAY_MS), keptFrom);
    for (const day of days) await this.sent.deleteMany({ endpoint_day: endpointDay(endpointId, day) });
    if (days.length > 0) {
      await this.pruned.replaceOne({ _id: endpointId }, { kept_from: utcDay(keptFrom) }, { upsert: true });
    }
    return days.length;
  }

  /** Drops every event kept for a deleted endpoint. */
  async dropFor(endpointId: string): Promise<void> {
    await this.sent.deleteMany({ endpoint_id: endpointId });
    await this.pruned.deleteOne({ _id: endpointId });
  }
}
