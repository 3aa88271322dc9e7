/**
 * Merchant webhooks in the store: the endpoints merchants register (with the secret we sign with), the outbox of events
 * each endpoint is still owed, and one record per delivery attempt.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { secretFromBytes } from '../domain/webhook-signature';
import type { EndpointOwnership, WebhookEndpointInput, WebhookEventType } from '../domain/webhooks';
import { isOnlyDuplicateKeys } from './duplicate-key';
import { SecretBox } from './secret-box';
import { blockId, blockNumberOf, blockOf, numberedEntryId, readForward, readRange } from './numbered-log';

export type EndpointStatus = 'enabled' | 'disabled';

export interface PreviousSecret {
  secret: string;
  expires_at: Date;
}

export interface WebhookEndpointDocument extends EndpointOwnership {
  _id: string;
  url: string;
  events: string[];
  description: string | null;
  /**
   * Never shown but on create and rotate. Sealed in the store (store/secret-box.ts); read through WebhookEndpoints it
   * is the secret itself.
   */
  secret: string;
  /** Secrets rotated out that still sign every delivery beside `secret` until they expire (as `secret` is stored). */
  previous_secrets?: PreviousSecret[];
  status: EndpointStatus;
  /** Why it was disabled (its URL answered 410 Gone). */
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * An event still owed to one endpoint: written when the event happens, for each endpoint subscribed to it, and removed
 * once it is delivered, given up or its endpoint is gone. So the outbox holds only what is owed, whatever the history.
 */
export interface OwedWebhookDocument {
  /** `<endpoint>/<event>`: a repeated step writes its event once per endpoint. */
  _id: string;
  endpoint_id: string;
  /** The event id (`evt_…`), the receivers' de-duplication key. */
  event_id: string;
  event_type: WebhookEventType;
  redemption_id: string;
  /** The redemption's version after the change: a redemption's events are delivered in this order. */
  version: number;
  /** The JSON body exactly as every attempt sends it. */
  body: string;
  /** When the change happened: the delivery is given up DELIVERY_DEADLINE_MS after it. */
  created_at: Date;
  /** Attempts made so far. */
  attempts: number;
  /**
   * When the next attempt is due: when it happened, then after each failed attempt that attempt's backoff. Each event
   * backs off on its own, so one that a receiver refuses holds back only its own redemption's later events. Rows
   * written before events had their own backoff have none, and are due.
   */
  due_at?: Date;
  /**
   * When a replay owed this event again (POST /v1/webhook-endpoints/{id}/replay): it is retried for
   * DELIVERY_DEADLINE_MS from then rather than from when it happened, and its attempts show as replays.
   */
  replayed_at?: Date;
}

/** An event as it is owed to one endpoint, without the progress of its delivery. */
export type OwedEvent = Omit<OwedWebhookDocument, 'attempts' | 'due_at' | 'replayed_at'>;

export function owedEventOf(row: OwedEvent): OwedEvent {
  const { _id, endpoint_id, event_id, event_type, redemption_id, version, body, created_at } = row;
  return { _id, endpoint_id, event_id, event_type, redemption_id, version, body, created_at };
}

/** When an owed event may be attempted next. */
export function dueAt(owed: OwedWebhookDocument): number {
  return owed.due_at?.getTime() ?? 0;
}

export interface WebhookDeliveryDocument {
  /** `<endpoint>/<seq>`: an endpoint's attempts are numbered 1, 2, 3… in the order they were recorded. */
  _id: string;
  /** The attempt's id in the API (`dlv_…`). */
  delivery_id: string;
  endpoint_id: string;
  seq: number;
  /** `<endpoint>/<block>`: the attempts that one page read fetches together (store/numbered-log.ts). */
  block: string;
  event_id: string;
  event_type: WebhookEventType;
  /** The attempt's number among this event's deliveries to this endpoint, from 1. */
  attempt: number;
  /** The HTTP status the endpoint answered, or null when no answer came (see `error`). */
  http_status: number | null;
  error: string | null;
  latency_ms: number;
  succeeded: boolean;
  /** When the next attempt is due; null when none will be made. */
  next_try_at: Date | null;
  attempted_at: Date;
  /** An attempt of an event a replay owed again (absent on attempts recorded before replays existed). */
  replay?: boolean;
}

function newSecret(): string {
  return secretFromBytes(randomBytes(24));
}

/**
 * The endpoints merchants registered. Their signing secrets are sealed as they are written and opened as they are read
 * (`secrets`: the keys from SECRETS_ENCRYPTION_KEY and SECRETS_ENCRYPTION_OLD_KEYS), so that callers only ever handle the
 * secrets themselves.
 */
export class WebhookEndpoints {
  private readonly endpoints: Collection<WebhookEndpointDocument>;

  constructor(
    db: Db,
    private readonly secrets = new SecretBox(undefined),
  ) {
    this.endpoints = db.collection<WebhookEndpointDocument>('webhook_endpoints');
  }

  async create(input: WebhookEndpointInput, clientId: string): Promise<WebhookEndpointDocument> {
    const now = new Date();
    const id = `whe_${randomUUID().replace(/-/g, '')}`;
    const secret = newSecret();
    const document: WebhookEndpointDocument = {
      _id: id,
      client_id: clientId,
      redemptions: input.redemptions,
      url: input.url,
      events: input.events,
      description: input.description ?? null,
      secret: this.secrets.seal(secret, id),
      status: 'enabled',
      disabled_reason: null,
      created_at: now,
      updated_at: now,
    };
    await this.endpoints.insertOne(document);
    return { ...document, secret };
  }

  /** The endpoint with its secret and the rotated-out ones still in force, opened; null for an unknown one. */
  async get(id: string, at = new Date()): Promise<WebhookEndpointDocument | null> {
    const stored = await this.endpoints.findOne({ _id: id });
    return stored && this.opened(stored, at);
  }

  private opened(stored: WebhookEndpointDocument, at: Date): WebhookEndpointDocument {
    const previous = (stored.previous_secrets ?? [])
      .filter((one) => one.expires_at > at)
      .map((one) => ({ ...one, secret: this.secrets.open(one.secret, stored._id) }));
    return { ...stored, secret: this.secrets.open(stored.secret, stored._id), previous_secrets: previous };
  }

  /** The endpoints that receive new events: a merchant has a handful, so all of them, read fresh every time. */
  enabled(): Promise<WebhookEndpointDocument[]> {
    return this.endpoints.find({ status: 'enabled' }).toArray();
  }

  /** A page of the endpoints of these owners (null: those registered before endpoints had owners). */
  async list(owners: (string | null)[], page: { skip: number; limit: number; sort: Record<string, 1 | -1> }) {
    const filter = { client_id: { $in: owners } };
    const [items, total] = await Promise.all([
      this.endpoints.find(filter, { sort: page.sort, skip: page.skip, limit: page.limit }).toArray(),
      this.endpoints.countDocuments(filter),
    ]);
    return { items, total };
  }

  /** How many endpoints a client registered. */
  countOf(clientId: string): Promise<number> {
    return this.endpoints.countDocuments({ client_id: clientId });
  }

  /** True when it existed. */
  async delete(id: string): Promise<boolean> {
    return (await this.endpoints.deleteOne({ _id: id })).deletedCount > 0;
  }

  /**
   * A new secret, in force for every attempt from now on; the one it replaces still signs beside it for `overlapMs`
   * (receivers move to the new one meanwhile). Null for an unknown endpoint. Written only over the secret it read, so
   * that of two rotations at once, one is tried again and neither secret is lost.
   */
  async rotateSecret(id: string, overlapMs: number): Promise<WebhookEndpointDocument | null> {
    for (;;) {
      const stored = await this.endpoints.findOne({ _id: id });
      if (!stored) return null;
      const now = new Date();
      const previous = [
        ...(stored.previous_secrets ?? []).filter((one) => one.expires_at > now),
        ...(overlapMs > 0 ? [{ secret: stored.secret, expires_at: new Date(now.getTime() + overlapMs) }] : []),
      ];
      const secret = newSecret();
      const result = await this.endpoints.updateOne(
        { _id: id, secret: stored.secret },
        { $set: { secret: this.secrets.seal(secret, id), previous_secrets: previous, updated_at: now } },
      );
      if (result.matchedCount > 0) return { ...this.opened({ ...stored, previous_secrets: previous }, now), secret };
    }
  }

  /**
   * Seals every stored secret under the current key: those stored before secrets were sealed, and those sealed under
   * a previous key (`npm run secrets:reseal`, after SECRETS_ENCRYPTION_KEY changed). How many endpoints it changed.
   */
  async reseal(): Promise<number> {
    let changed = 0;
    for await (const stored of this.endpoints.find({})) {
      const previous = stored.previous_secrets ?? [];
      if (this.secrets.isCurrent(stored.secret) && previous.every((one) => this.secrets.isCurrent(one.secret)))
        continue;
      const reseal = (value: string) =>
        this.secrets.isCurrent(value) ? value : this.secrets.seal(this.secrets.open(value, stored._id), stored._id);
      const result = await this.endpoints.updateOne(
        { _id: stored._id, secret: stored.secret },
        {
          $set: {
            secret: reseal(stored.secret),
            previous_secrets: previous.map((one) => ({ ...one, secret: reseal(one.secret) })),
          },
        },
      );
      changed += result.modifiedCount;
    }
    return changed;
  }

  async disable(id: string, reason: string): Promise<void> {
    await this.endpoints.updateOne(
      { _id: id },
      { $set: { status: 'disabled', disabled_reason: reason, updated_at: new Date() } },
    );
  }
}

export class WebhookOutbox {
  private readonly owed: Collection<OwedWebhookDocument>;

  constructor(db: Db) {
    this.owed = db.collection<OwedWebhookDocument>('webhook_outbox');
  }

  /** Owes the event to each endpoint once: a repeated step finds its rows already there, as first written. */
  async owe(rows: OwedWebhookDocument[]): Promise<void> {
    try {
      await this.owed.insertMany(rows, { ordered: false });
    } catch (error) {
      if (!isOnlyDuplicateKeys(error)) throw error;
    }
  }

  /**
   * Owes these events again (a replay), due at once. An event the endpoint is still owed, not delivered yet or owed by
   * an earlier replay, keeps its row as it is, so that no event is owed twice at once. How many it owed again.
   */
  async oweAgain(events: OwedEvent[], at: Date): Promise<number> {
    if (events.length === 0) return 0;
    const rows = events.map((event) => ({ ...owedEventOf(event), attempts: 0, due_at: at, replayed_at: at }));
    try {
      return (await this.owed.insertMany(rows, { ordered: false })).insertedCount;
    } catch (error) {
      if (!isOnlyDuplicateKeys(error)) throw error;
      return (error as { insertedCount?: number }).insertedCount ?? 0;
    }
  }

  /** Up to `limit` of what an endpoint is owed, in no particular order. */
  batch(endpointId: string, limit: number): Promise<OwedWebhookDocument[]> {
    return this.owed.find({ endpoint_id: endpointId }, { limit }).toArray();
  }

  /** Up to `limit` of what an endpoint is owed and due by `at`, in no particular order. */
  due(endpointId: string, at: Date, limit: number): Promise<OwedWebhookDocument[]> {
    return this.owed
      .find({ endpoint_id: endpointId, $or: [{ due_at: { $lte: at } }, { due_at: { $exists: false } }] }, { limit })
      .toArray();
  }

  /**
   * When the first of an endpoint's events waiting for their next try falls due; null when none is. Only an event that
   * was attempted waits (those behind it are held by it), so this is the first of the waiting redemptions' next tries.
   */
  async nextTry(endpointId: string, after: Date): Promise<Date | null> {
    const [first] = await this.owed
      .find(
        { endpoint_id: endpointId, due_at: { $gt: after } },
        { sort: { due_at: 1 }, limit: 1, projection: { due_at: 1 } },
      )
      .toArray();
    return first?.due_at ?? null;
  }

  /** Everything one redemption's events still owe an endpoint. */
  forRedemption(endpointId: string, redemptionId: string): Promise<OwedWebhookDocument[]> {
    return this.owed.find({ redemption_id: redemptionId, endpoint_id: endpointId }).toArray();
  }

  /** Everything these redemptions' events still owe an endpoint. */
  forRedemptions(endpointId: string, redemptionIds: string[]): Promise<OwedWebhookDocument[]> {
    return this.owed.find({ endpoint_id: endpointId, redemption_id: { $in: redemptionIds } }).toArray();
  }

  /** An attempt failed: the event is due again at `nextTry`. */
  async failedAttempt(id: string, nextTry: Date): Promise<void> {
    await this.owed.updateOne({ _id: id }, { $inc: { attempts: 1 }, $set: { due_at: nextTry } });
  }

  /** Removes what was delivered or given up (filtered by endpoint first: its rows are the few it is owed). */
  async settle(endpointId: string, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.owed.deleteMany({ endpoint_id: endpointId, _id: { $in: ids } });
  }

  /** Drops what a deleted or disabled endpoint was owed. */
  async dropFor(endpointId: string): Promise<void> {
    await this.owed.deleteMany({ endpoint_id: endpointId });
  }
}

export type DeliveryAttempt = Omit<WebhookDeliveryDocument, '_id' | 'delivery_id' | 'seq' | 'block'>;

/**
 * Each endpoint's delivery attempts as a numbered log, the layout of the points ledger: the n-th attempt is
 * `<endpoint>/<n>`, and a small head document remembers the newest number (a hint: it may lag after a crash, never
 * lead). One lane records an endpoint's attempts, so numbers are taken without a race; were two lanes to record at
 * once, the unique _id makes the later one read the head again.
 */
export class WebhookDeliveries {
  private readonly deliveries: Collection<WebhookDeliveryDocument>;
  private readonly heads: Collection<{ _id: string; seq: number }>;
  /** Per endpoint, how many of its oldest blocks were dropped (written by its lane only). */
  private readonly pruned: Collection<{ _id: string; blocks: number }>;
  /** The newest number this process recorded or read, per endpoint. */
  private readonly known = new Map<string, number>();

  constructor(db: Db) {
    this.deliveries = db.collection<WebhookDeliveryDocument>('webhook_deliveries');
    this.heads = db.collection<{ _id: string; seq: number }>('webhook_delivery_heads');
    this.pruned = db.collection<{ _id: string; blocks: number }>('webhook_delivery_pruning');
  }

  /** The number of the endpoint's newest attempt: the hint, then forward, a block at a time, past what follows it. */
  async newestSeq(endpointId: string): Promise<number> {
    const hint = { seq: (await this.heads.findOne({ _id: endpointId }))?.seq ?? 0 };
    const newest = await readForward(hint, (known) =>
      this.deliveries.find({ block: blockOf(endpointId, known.seq + 1) }, { projection: { seq: 1 } }).toArray(),
    );
    return newest.seq;
  }

  /** Records a lane's attempts, in order, under the endpoint's next numbers. */
  async record(endpointId: string, attempts: DeliveryAttempt[]): Promise<void> {
    let left = attempts;
    for (let tries = 1; left.length > 0; tries++) {
      const after = this.known.get(endpointId) ?? (await this.newestSeq(endpointId));
      const documents = left.map((attempt, index) => ({
        _id: numberedEntryId(endpointId, after + index + 1),
        delivery_id: `dlv_${randomUUID().replace(/-/g, '')}`,
        seq: after + index + 1,
        block: blockOf(endpointId, after + index + 1),
        ...attempt,
      }));
      try {
        await this.deliveries.insertMany(documents, { ordered: true });
        this.known.set(endpointId, after + documents.length);
        left = [];
      } catch (error) {
        if (!isOnlyDuplicateKeys(error)) throw error;
        if (tries >= 5) throw error;
        // Another writer took these numbers, or the hint lagged: what was inserted stays, the rest goes after the head.
        const inserted = (error as { insertedCount?: number }).insertedCount ?? 0;
        left = left.slice(inserted);
        this.known.set(endpointId, await this.newestSeq(endpointId));
      }
    }
    await this.heads.replaceOne({ _id: endpointId }, { seq: this.known.get(endpointId)! }, { upsert: true });
  }

  /**
   * Drops the endpoint's attempts made before `cutoff`, a whole block at a time from the oldest, and never the block
   * of the newest number, from which numbering reads forward. Each call reads the blocks it drops and the first it may
   * not: where the last one stopped is kept. How many blocks it dropped.
   */
  async prune(endpointId: string, cutoff: Date): Promise<number> {
    const head = await this.heads.findOne({ _id: endpointId });
    if (!head) return 0;
    const first = (await this.pruned.findOne({ _id: endpointId }))?.blocks ?? 0;
    let next = first;
    for (; next < blockNumberOf(head.seq); next++) {
      const block = blockId(endpointId, next);
      const attempts = await this.deliveries.find({ block }, { projection: { attempted_at: 1 } }).toArray();
      if (attempts.some((attempt) => attempt.attempted_at >= cutoff)) break;
      if (attempts.length > 0) await this.deliveries.deleteMany({ block });
    }
    if (next > first) await this.pruned.replaceOne({ _id: endpointId }, { blocks: next }, { upsert: true });
    return next - first;
  }

  /** Drops every attempt of a deleted endpoint, a block at a time. */
  async dropFor(endpointId: string): Promise<void> {
    const first = (await this.pruned.findOne({ _id: endpointId }))?.blocks ?? 0;
    const newest = await this.newestSeq(endpointId);
    for (let n = first; n <= blockNumberOf(newest); n++)
      await this.deliveries.deleteMany({ block: blockId(endpointId, n) });
    await Promise.all([this.heads.deleteOne({ _id: endpointId }), this.pruned.deleteOne({ _id: endpointId })]);
    this.known.delete(endpointId);
  }

  /** A page of an endpoint's attempts, newest first: read from the blocks that hold it. */
  async listForEndpoint(endpointId: string, page: { skip: number; limit: number }) {
    const total = await this.newestSeq(endpointId);
    const newest = total - page.skip;
    const oldest = Math.max(1, newest - page.limit + 1);
    const items = await readRange(
      endpointId,
      oldest,
      newest,
      (block) => this.deliveries.find({ block }).toArray(),
      'newest first',
    );
    return { items, total };
  }
}
