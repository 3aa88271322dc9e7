/**
 * The webhook deliveries of one redemption's events. Events arrive as signals (the workflow is signalled-with-start per
 * event, with the endpoints that subscribe to it), and each endpoint has its own lane: its events are delivered one
 * after the other, in the order they happened, while a slow endpoint's lane never holds up another's. The workflow
 * ends when every lane is empty; a later event starts a new run. Each delivery is an activity on the webhook task
 * queue, retried by Temporal with backoff for up to DELIVERY_DEADLINE_MS.
 */
import { ActivityFailure, condition, log, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { WebhookDeliveryActivities } from '../activities/webhook-delivery';
import { DELIVERY_BACKOFF_COEFFICIENT, DELIVERY_DEADLINE_MS, type DeliveryRetry } from '../domain/webhook-retry';
import { webhookEventSignal } from './messages';

export interface WebhookDeliveriesInput {
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

  /** Endpoint → the events still to deliver to it; an endpoint is here while its lane runs. */
  const lanes = new Map<string, string[]>();
  const queued = new Set<string>();

  async function deliver(endpointId: string, eventId: string): Promise<void> {
    try {
      const result = await deliverWebhook({ endpointId, eventId, retry: input.retry, timeoutMs: input.timeoutMs });
      if (result.outcome !== 'delivered') log.info('webhook not delivered', { eventId, endpointId, ...result });
    } catch (error) {
      // Retried for the whole deadline and still failing: given up; its attempts are in the deliveries list.
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('webhook delivery given up', { eventId, endpointId, error: String(error.cause) });
    }
  }

  async function runLane(endpointId: string, lane: string[]): Promise<void> {
    for (let eventId = lane.shift(); eventId !== undefined; eventId = lane.shift()) {
      await deliver(endpointId, eventId);
    }
    lanes.delete(endpointId);
  }

  setHandler(webhookEventSignal, ({ eventId, endpointIds }) => {
    for (const endpointId of endpointIds) {
      // A retried step signals its event again: it is delivered once per run.
      if (queued.has(`${endpointId}/${eventId}`)) continue;
      queued.add(`${endpointId}/${eventId}`);
      const lane = lanes.get(endpointId);
      if (lane) {
        lane.push(eventId);
      } else {
        const newLane = [eventId];
        lanes.set(endpointId, newLane);
        void runLane(endpointId, newLane);
      }
    }
    setCurrentDetails(`Delivering to ${lanes.size} endpoint(s)`);
  });

  // Started by signal-with-start, so its first event is on the way. A signal that arrives as the run completes makes
  // Temporal retry the completion with that signal in history, so no event is left behind.
  await condition(() => queued.size > 0 && lanes.size === 0);
}
