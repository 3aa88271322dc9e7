/**
 * Starting an endpoint's lane (workflow `webhook-lane/<endpoint>`): by the first event written for the endpoint, and
 * by its deletion, so that a lane which had already ended (the endpoint was disabled) comes back to drop what the
 * endpoint leaves behind. Starting a lane that runs already is a no-op.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../config/env';
import type { webhookLaneWorkflow } from '../workflows';

export function webhookLaneWorkflowId(endpointId: string): string {
  return `webhook-lane/${endpointId}`;
}

export async function startWebhookLane(temporal: Client, config: Config, endpointId: string): Promise<void> {
  try {
    await temporal.workflow.start<typeof webhookLaneWorkflow>('webhookLaneWorkflow', {
      workflowId: webhookLaneWorkflowId(endpointId),
      taskQueue: config.temporal.taskQueue,
      args: [
        {
          endpointId,
          taskQueue: config.webhooks.taskQueue,
          timeoutMs: config.webhooks.timeoutMs,
          pollMs: config.webhooks.pollMs,
          retry: { initialIntervalMs: config.webhooks.retryInitialMs, maximumIntervalMs: config.webhooks.retryMaxMs },
        },
      ],
      staticSummary: `Webhook deliveries to endpoint ${endpointId}`,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
