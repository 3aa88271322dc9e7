/**
 * One webhook endpoint's lane: runs the activity that delivers what the outbox owes the endpoint, round after round,
 * until the endpoint is deleted or disabled. A failed round is retried by Temporal with backoff, without limit: each
 * event's own deadline (DELIVERY_DEADLINE_MS after it happened) is kept by the activity. Started by the first event
 * written for the endpoint (workflow id `webhook-lane/<endpoint>`).
 */
import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { WebhookDeliveryActivities } from '../activities/webhook-delivery';
import { DELIVERY_BACKOFF_COEFFICIENT, LANE_HEARTBEAT_TIMEOUT_MS, type DeliveryRetry } from '../domain/webhook-retry';

export interface WebhookLaneInput {
  endpointId: string;
  /** The webhook activities' own task queue. */
  taskQueue: string;
  timeoutMs: number;
  pollMs: number;
  retry: DeliveryRetry;
}

/** Rounds per run: each adds a few events to the history, which continue-as-new then starts afresh. */
const ROUNDS_PER_RUN = 200;

export async function webhookLaneWorkflow(input: WebhookLaneInput): Promise<void> {
  const { deliverOwedWebhooks } = proxyActivities<WebhookDeliveryActivities>({
    taskQueue: input.taskQueue,
    // A round returns within minutes, and beats all along.
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: LANE_HEARTBEAT_TIMEOUT_MS,
    retry: {
      initialInterval: input.retry.initialIntervalMs,
      maximumInterval: input.retry.maximumIntervalMs,
      backoffCoefficient: DELIVERY_BACKOFF_COEFFICIENT,
    },
  });
  const { endpointId, retry, timeoutMs, pollMs } = input;
  for (let round = 0; round < ROUNDS_PER_RUN; round++) {
    const result = await deliverOwedWebhooks({ endpointId, retry, timeoutMs, pollMs });
    if (result.outcome === 'ended') return;
  }
  await continueAsNew<typeof webhookLaneWorkflow>(input);
}
