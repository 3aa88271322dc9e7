/**
 * Delivers one merchant event to one endpoint: one POST per activity attempt, each recorded. Temporal retries a failed
 * attempt with the workflow's backoff for up to DELIVERY_DEADLINE_MS; these activities run on their own task queue,
 * so an endpoint that hangs holds only a webhook slot, never one a redemption needs.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { signWebhook } from '../domain/webhook-signature';
import { DELIVERY_DEADLINE_MS, retryDelayMs, type DeliveryRetry } from '../domain/webhook-retry';
import { WebhookDeliveries, WebhookEndpoints, WebhookEvents } from '../store/webhooks';

export interface DeliverWebhookInput {
  endpointId: string;
  eventId: string;
  retry: DeliveryRetry;
  timeoutMs: number;
}

export type DeliverWebhookResult =
  | { outcome: 'delivered'; status: number }
  /** The endpoint answered 410 Gone: it is disabled, and gets nothing more. */
  | { outcome: 'gone' }
  /** Deleted or disabled since the event was queued. */
  | { outcome: 'skipped'; why: string };

/** The type of the failure a non-2xx answer or a network error raises: retried by Temporal. */
export const WEBHOOK_ATTEMPT_FAILED = 'WebhookAttemptFailed';

export function createWebhookDelivery(db: Db) {
  const endpoints = new WebhookEndpoints(db);
  const events = new WebhookEvents(db);
  const deliveries = new WebhookDeliveries(db);

  return {
    async deliverWebhook({
      endpointId,
      eventId,
      retry,
      timeoutMs,
    }: DeliverWebhookInput): Promise<DeliverWebhookResult> {
      // Read fresh on every attempt: a rotated secret signs the next attempt, a deleted endpoint gets nothing more.
      const [endpoint, event] = await Promise.all([endpoints.get(endpointId), events.get(eventId)]);
      if (!endpoint) return { outcome: 'skipped', why: 'endpoint deleted' };
      if (endpoint.status !== 'enabled') return { outcome: 'skipped', why: 'endpoint disabled' };
      if (!event) return { outcome: 'skipped', why: 'event not found' };

      const { attempt, scheduledTimestampMs } = Context.current().info;
      const timestamp = Math.floor(Date.now() / 1000);
      const started = Date.now();
      let status: number | null = null;
      let error: string | null = null;
      try {
        const response = await fetch(endpoint.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'redemption-orchestrator-webhooks',
            'webhook-id': event._id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': await signWebhook(endpoint.secret, event._id, timestamp, event.body),
          },
          body: event.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = response.status;
        await response.body?.cancel();
      } catch (failure) {
        const cause = (failure as Error).cause as { code?: string } | undefined;
        error =
          (failure as Error).name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : (cause?.code ?? String(failure));
      }
      const attemptedAt = new Date(started);
      const latency = Date.now() - started;
      const succeeded = status !== null && status >= 200 && status < 300;
      const nextTry = Date.now() + retryDelayMs(attempt, retry);
      const retried = !succeeded && status !== 410 && nextTry < scheduledTimestampMs + DELIVERY_DEADLINE_MS;
      await deliveries.record({
        endpoint_id: endpointId,
        event_id: event._id,
        event_type: event.type,
        attempt,
        http_status: status,
        error,
        latency_ms: latency,
        succeeded,
        next_try_at: retried ? new Date(nextTry) : null,
        attempted_at: attemptedAt,
      });

      if (succeeded) return { outcome: 'delivered', status: status! };
      if (status === 410) {
        await endpoints.disable(endpointId, 'the endpoint answered 410 Gone');
        return { outcome: 'gone' };
      }
      throw ApplicationFailure.create({
        type: WEBHOOK_ATTEMPT_FAILED,
        message: status !== null ? `the endpoint answered ${status}` : `the endpoint could not be reached: ${error}`,
      });
    },
  };
}

export type WebhookDeliveryActivities = ReturnType<typeof createWebhookDelivery>;
