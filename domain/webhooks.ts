/**
 * Merchant webhooks: the events a merchant can subscribe to, what an endpoint registration accepts, and the delivery
 * schedule (Temporal retries each delivery with this backoff; the deliveries list shows the next try from it).
 */
import { z } from 'zod';
import { REDEMPTION_STATUSES, type RedemptionStatus } from './states';
import { httpUrl } from './http-url';
import { plainText } from './text';

export const WEBHOOK_EVENT_TYPES = REDEMPTION_STATUSES.map((status) => `redemption.${status}` as const);
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** Subscribes an endpoint to every event type, including ones added later. */
export const ALL_EVENTS = '*';

export function eventTypeOf(status: RedemptionStatus): WebhookEventType {
  return `redemption.${status}`;
}

export function subscribesTo(events: readonly string[], type: WebhookEventType): boolean {
  return events.includes(ALL_EVENTS) || events.includes(type);
}

/** Whose redemptions an endpoint hears: those of the client that registered it, or every client's. */
export const WEBHOOK_AUDIENCES = ['own', 'all'] as const;
export type WebhookAudience = (typeof WEBHOOK_AUDIENCES)[number];

/** Who owns an endpoint and whose redemptions it hears, as stored. */
export interface EndpointOwnership {
  /** Absent on endpoints registered before endpoints had owners: those hear every client's redemptions. */
  client_id?: string | null;
  redemptions?: WebhookAudience;
}

/** Whether an endpoint hears a redemption of this client (null: a partner's, or one stored before owners). */
export function hearsRedemptionOf(endpoint: EndpointOwnership, client: string | null): boolean {
  if (endpoint.client_id == null || endpoint.redemptions === 'all') return true;
  return client !== null && endpoint.client_id === client;
}

/** A receiver must refuse a delivery whose Webhook-Timestamp is older than this (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export const webhookEndpointInputSchema = z
  .object({
    url: httpUrl().meta({ example: 'https://merchant.example/hooks/loyalty' }),
    events: z
      .array(z.enum([ALL_EVENTS, ...WEBHOOK_EVENT_TYPES]))
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length + 1)
      .transform((events) => [...new Set(events)])
      .meta({ description: 'The event types to receive, or ["*"] for all of them' }),
    description: plainText(500).optional(),
    redemptions: z.enum(WEBHOOK_AUDIENCES).default('own').meta({
      description:
        "Whose redemptions it hears: the client's own (the default), or every client's (needs the webhooks:all scope)",
    }),
  })
  .strict()
  .meta({ id: 'WebhookEndpointInput' });
export type WebhookEndpointInput = z.output<typeof webhookEndpointInputSchema>;
