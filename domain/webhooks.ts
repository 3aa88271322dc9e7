/**
 * Merchant webhooks: the events a merchant can subscribe to, what an endpoint registration accepts, and the delivery
 * schedule (Temporal retries each delivery with this backoff; the deliveries list shows the next try from it).
 */
import { z } from 'zod';
import { REDEMPTION_STATUSES, type RedemptionStatus } from './states';
import { NUL_FREE, NUL_MESSAGE, plainText } from './text';

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

/** How long a delivery is retried before it is given up. */
export const DELIVERY_DEADLINE_MS = 3 * 24 * 3600 * 1000;
export const DELIVERY_BACKOFF_COEFFICIENT = 2;

export interface DeliveryRetry {
  initialIntervalMs: number;
  maximumIntervalMs: number;
}

/** The wait after failed attempt `attempt` (from 1), as Temporal's retry policy computes it. */
export function retryDelayMs(attempt: number, retry: DeliveryRetry): number {
  const delay = retry.initialIntervalMs * DELIVERY_BACKOFF_COEFFICIENT ** (attempt - 1);
  return Math.min(delay, retry.maximumIntervalMs);
}

/** A receiver must refuse a delivery whose Webhook-Timestamp is older than this (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export const webhookEndpointInputSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2000)
      .regex(NUL_FREE, NUL_MESSAGE)
      .meta({ example: 'https://merchant.example/hooks/loyalty' }),
    events: z
      .array(z.enum([ALL_EVENTS, ...WEBHOOK_EVENT_TYPES]))
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length + 1)
      .transform((events) => [...new Set(events)])
      .meta({ description: 'The event types to receive, or ["*"] for all of them' }),
    description: plainText(500).optional(),
  })
  .strict()
  .meta({ id: 'WebhookEndpointInput' });
export type WebhookEndpointInput = z.output<typeof webhookEndpointInputSchema>;
