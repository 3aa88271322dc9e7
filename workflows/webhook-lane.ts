/**
 * One webhook endpoint's lane: runs the activity that delivers what the outbox owes the endpoint, until the endpoint is
 * deleted or disabled. Between runs it waits with no activity and no timer while the endpoint is owed nothing, until
 * a nudge (the signal sent after each event written for the endpoint, and after its deletion); while only retries are
 * owed, until the first of them is due. An idle endpoint costs nothing but its place in Temporal's store. A failed run
 * (the store down) is retried by Temporal with backoff, without limit: each event's own backoff and deadline
 * (DELIVERY_DEADLINE_MS after it happened) are kept by the activity. Started by the first nudge for the endpoint
 * (workflow id `webhook-lane/<endpoint>`).
 */
import { condition, continueAsNew, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { DeliverOwedWebhooksResult, WebhookDeliveryActivities } from '../activities/webhook-delivery';
import { DELIVERY_BACKOFF_COEFFICIENT, LANE_HEARTBEAT_TIMEOUT_MS, type DeliveryRetry } from '../domain/webhook-retry';
import { webhookLaneNudge } from './webhook-lane-messages';

export interface WebhookLaneInput {
  endpointId: string;
  /** The webhook activities' own task queue. */
  taskQueue: string;
  timeoutMs: number;
  /** How often lanes started before they waited for nudges polled the outbox; unused since. */
  pollMs?: number;
  retry: DeliveryRetry;
}

/** Rounds per run: each adds a few events to the history, which continue-as-new then starts afresh. */
const ROUNDS_PER_RUN = 200;

/**
 * Lanes before this ran their activity again at once, and the activity polled the outbox while the endpoint was owed
 * nothing, holding a worker slot for ever.
 */
const WAITS_FOR_NUDGES = 'webhook-lane-waits-for-nudges';

interface Lane {
  /** A nudge came since the last run started: the run may not have seen what it announced. */
  nudged: boolean;
}

export async function webhookLaneWorkflow(input: WebhookLaneInput): Promise<void> {
  const { deliverOwedWebhooks } = proxyActivities<WebhookDeliveryActivities>({
    taskQueue: input.taskQueue,
    // A run returns within minutes, and beats all along.
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: LANE_HEARTBEAT_TIMEOUT_MS,
    retry: {
      initialInterval: input.retry.initialIntervalMs,
      maximumInterval: input.retry.maximumIntervalMs,
      backoffCoefficient: DELIVERY_BACKOFF_COEFFICIENT,
    },
  });
  const lane: Lane = { nudged: false };
  setHandler(webhookLaneNudge, () => {
    lane.nudged = true;
  });
  const { endpointId, retry, timeoutMs } = input;
  for (let round = 0; round < ROUNDS_PER_RUN; round++) {
    lane.nudged = false;
    const result = await deliverOwedWebhooks({ endpointId, retry, timeoutMs });
    if (result.outcome === 'ended') return;
    if (patched(WAITS_FOR_NUDGES)) await untilSomethingIsDue(lane, result);
  }
  await continueAsNew<typeof webhookLaneWorkflow>(input);
}

/** Waits for a nudge while nothing is owed; while only retries are, until the first is due or a nudge comes. */
async function untilSomethingIsDue(lane: Lane, result: DeliverOwedWebhooksResult): Promise<void> {
  if (result.outcome === 'idle') await condition(() => lane.nudged);
  else if (result.outcome === 'waiting' && result.nextTryInMs > 0) {
    await condition(() => lane.nudged, result.nextTryInMs);
  }
}
