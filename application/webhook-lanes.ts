/**
 * Nudging an endpoint's lane (workflow `webhook-lane/<endpoint>`): after each event written for the endpoint, and after
 * its deletion, so that a lane waiting for work looks again, and one which had ended (its endpoint was disabled) comes
 * back to drop what the endpoint leaves behind. The signal starts the lane when it is not running.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config/env';
import type { webhookLaneWorkflow } from '../workflows';
import { webhookLaneNudge } from '../workflows/webhook-lane-messages';

export function webhookLaneWorkflowId(endpointId: string): string {
  return `webhook-lane/${endpointId}`;
}

export async function nudgeWebhookLane(temporal: Client, config: Config, endpointId: string): Promise<void> {
  await temporal.workflow.signalWithStart<typeof webhookLaneWorkflow>('webhookLaneWorkflow', {
    workflowId: webhookLaneWorkflowId(endpointId),
    taskQueue: config.temporal.taskQueue,
    args: [
      {
        endpointId,
        taskQueue: config.webhooks.taskQueue,
        timeoutMs: config.webhooks.timeoutMs,
        retry: { initialIntervalMs: config.webhooks.retryInitialMs, maximumIntervalMs: config.webhooks.retryMaxMs },
      },
    ],
    signal: webhookLaneNudge,
    signalArgs: [],
    staticSummary: `Webhook deliveries to endpoint ${endpointId}`,
  });
}

/**
 * Nudges that overlap share a signal: a caller waits for one sent after it asked, at most one is in flight per endpoint
 * and one more waits behind it for everyone who asked meanwhile. So a busy endpoint costs a signal per round trip to
 * Temporal, not one per event, and a failed signal fails every caller it was sent for (their steps are retried).
 */
export function sharedNudges(nudge: (endpointId: string) => Promise<void>): (endpointId: string) => Promise<void> {
  const lanes = new Map<string, { inFlight: Promise<void>; next?: Promise<void> }>();
  const send = (endpointId: string): Promise<void> => {
    const sent = nudge(endpointId);
    const lane: { inFlight: Promise<void>; next?: Promise<void> } = { inFlight: sent };
    lanes.set(endpointId, lane);
    const settle = () => {
      if (lanes.get(endpointId) === lane && !lane.next) lanes.delete(endpointId);
    };
    sent.then(settle, settle);
    return sent;
  };
  return (endpointId) => {
    const lane = lanes.get(endpointId);
    if (!lane) return send(endpointId);
    lane.next ??= lane.inFlight.catch(() => undefined).then(() => send(endpointId));
    return lane.next;
  };
}
