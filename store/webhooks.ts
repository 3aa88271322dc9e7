/**
 * Merchant webhooks in the store: the endpoints merchants register (with the secret we sign with), the events as sent,
 * and one record per delivery attempt.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { secretFromBytes } from '../domain/webhook-signature';
import type { WebhookEndpointInput, WebhookEventType } from '../domain/webhooks';
import { duplicateKeyIndex } from './duplicate-key';

export type EndpointStatus = 'enabled' | 'disabled';

export interface WebhookEndpointDocument {
  _id: string;
  url: string;
  events: string[];
  description: string | null;
  /** Never shown but on create and rotate. */
  secret: string;
  status: EndpointStatus;
  /** Why it was disabled (its URL answered 410 Gone). */
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface WebhookEventDocument {
  /** The event id (`evt_…`), the receivers' de-duplication key. */
  _id: string;
  type: WebhookEventType;
  redemption_id: string;
  /** The JSON body exactly as every attempt sends it. */
  body: string;
  created_at: Date;
}

export interface WebhookDeliveryDocument {
  _id: string;
  endpoint_id: string;
  event_id: string;
  event_type: WebhookEventType;
  /** Temporal's attempt number of this event's delivery to this endpoint, from 1. */
  attempt: number;
  /** The HTTP status the endpoint answered, or null when no answer came (see `error`). */
  http_status: number | null;
  error: string | null;
  latency_ms: number;
  succeeded: boolean;
  /** When the next attempt is due; null when none will be made. */
  next_try_at: Date | null;
  attempted_at: Date;
}

function newSecret(): string {
  return secretFromBytes(randomBytes(24));
}

export class WebhookEndpoints {
  private readonly endpoints: Collection<WebhookEndpointDocument>;

  constructor(db: Db) {
    this.endpoints = db.collection<WebhookEndpointDocument>('webhook_endpoints');
  }

  async create(input: WebhookEndpointInput): Promise<WebhookEndpointDocument> {
    const now = new Date();
    const document: WebhookEndpointDocument = {
      _id: `whe_${randomUUID().replace(/-/g, '')}`,
      url: input.url,
      events: input.events,
      description: input.description ?? null,
      secret: newSecret(),
      status: 'enabled',
      disabled_reason: null,
      created_at: now,
      updated_at: now,
    };
    await this.endpoints.insertOne(document);
    return document;
  }

  get(id: string): Promise<WebhookEndpointDocument | null> {
    return this.endpoints.findOne({ _id: id });
  }

  /** The endpoints that receive new events: a merchant has a handful, so all of them, read fresh every time. */
  enabled(): Promise<WebhookEndpointDocument[]> {
    return this.endpoints.find({ status: 'enabled' }).toArray();
  }

  async list(page: { skip: number; limit: number; sort: Record<string, 1 | -1> }) {
    const [items, total] = await Promise.all([
      this.endpoints.find({}, { sort: page.sort, skip: page.skip, limit: page.limit }).toArray(),
      this.endpoints.countDocuments({}),
    ]);
    return { items, total };
  }

  /** True when it existed. */
  async delete(id: string): Promise<boolean> {
    return (await this.endpoints.deleteOne({ _id: id })).deletedCount > 0;
  }

  /** A new secret, in force for every attempt from now on; null for an unknown endpoint. */
  async rotateSecret(id: string): Promise<WebhookEndpointDocument | null> {
    const secret = newSecret();
    const result = await this.endpoints.updateOne({ _id: id }, { $set: { secret, updated_at: new Date() } });
    return result.matchedCount > 0 ? this.get(id) : null;
  }

  async disable(id: string, reason: string): Promise<void> {
    await this.endpoints.updateOne(
      { _id: id },
      { $set: { status: 'disabled', disabled_reason: reason, updated_at: new Date() } },
    );
  }
}

export class WebhookEvents {
  private readonly events: Collection<WebhookEventDocument>;

  constructor(db: Db) {
    this.events = db.collection<WebhookEventDocument>('webhook_events');
  }

  /** Stores the event once: a repeated step finds its event already there, as first written. */
  async insertOnce(event: WebhookEventDocument): Promise<void> {
    try {
      await this.events.insertOne(event);
    } catch (error) {
      if (duplicateKeyIndex(error) === undefined) throw error;
    }
  }

  get(id: string): Promise<WebhookEventDocument | null> {
    return this.events.findOne({ _id: id });
  }
}

export class WebhookDeliveries {
  private readonly deliveries: Collection<WebhookDeliveryDocument>;

  constructor(db: Db) {
    this.deliveries = db.collection<WebhookDeliveryDocument>('webhook_deliveries');
  }

  async record(attempt: Omit<WebhookDeliveryDocument, '_id'>): Promise<void> {
    await this.deliveries.insertOne({ _id: `dlv_${randomUUID().replace(/-/g, '')}`, ...attempt });
  }

  /** An endpoint's attempts, newest first. */
  async listForEndpoint(endpointId: string, page: { skip: number; limit: number }) {
    const filter = { endpoint_id: endpointId };
    const [items, total] = await Promise.all([
      this.deliveries
        .find(filter, { sort: { attempted_at: -1, _id: -1 }, skip: page.skip, limit: page.limit })
        .toArray(),
      this.deliveries.countDocuments(filter),
    ]);
    return { items, total };
  }
}
