/**
 * The webhook deliveries of one redemption's events to one endpoint. Events arrive as signals (the workflow is
 * signalled-with-start per event), are delivered one after the other so that the endpoint sees them in the order
 * they happened, and the workflow ends when its queue is empty; a later event starts a new run. Each delivery is an
 * activity on the webhook task queue, retried by Temporal with backoff for up to DELIVERY_DEADLINE_MS.
 */
import { ActivityFailure, condition, log, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { WebhookDeliveryActivities } from '../activities/webhook-delivery';
import { DELIVERY_BACKOFF_COEFFICIENT, DELIVERY_DEADLINE_MS, type DeliveryRetry } from '../domain/webhooks';
import { webhookEventSignal } from './messages';

export interface WebhookDeliveriesInput {
  endpointId: string;
  redemptionId: string;
  /** The webhook activities' own task queue. */
  taskQueue: string;
  timeoutMs: number;
  retry: DeliveryRetry;
}

export async function webhookDeliveriesWorkflow(input: WebhookDeliveriesInput): Promise<void> {
  const { deliverWebhook } = proxyActivities<WebhookDeliveryActivities>({
    taskQueue: input.taskQueue,
    // Room for the fetch's own timeout, the store reads and the attempt's record.
    startToCloseTimeout: input.timeoutMs + 10_000,
    scheduleToCloseTimeout: DELIVERY_DEADLINE_MS,
    retry: {
      initialInterval: input.retry.initialIntervalMs,
      maximumInterval: input.retry.maximumIntervalMs,
      backoffCoefficient: DELIVERY_BACKOFF_COEFFICIENT,
    },
  });

  const queue: string[] = [];
  const seen = new Set<string>();
  setHandler(webhookEventSignal, ({ eventId }) => {
    // A retried step signals its event again: it is delivered once per run.
    if (seen.has(eventId)) return;
    seen.add(eventId);
    queue.push(eventId);
  });

  // Started by signal-with-start: its first event is on the way.
  await condition(() => queue.length > 0);
  // Signal handlers are synchronous, so once the queue is empty after the last delivery no signal is half-handled;
  // one that arrives as the run completes makes Temporal retry the completion with that signal in history.
  for (let eventId = queue.shift(); eventId !== undefined; eventId = queue.shift()) {
    setCurrentDetails(`Delivering ${eventId} to ${input.endpointId}`);
    try {
      const result = await deliverWebhook({
        endpointId: input.endpointId,
        eventId,
        retry: input.retry,
        timeoutMs: input.timeoutMs,
      });
      if (result.outcome !== 'delivered') {
        log.info('webhook not delivered', { eventId, endpointId: input.endpointId, outcome: result.outcome });
      }
    } catch (error) {
      // Retried for the whole deadline and still failing: given up, and the attempts are in the deliveries list.
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('webhook delivery given up', { eventId, endpointId: input.endpointId, error: String(error.cause) });
    }
  }
}
