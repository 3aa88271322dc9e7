/**
 * Emits a merchant event after a redemption's status changed: `redemption.<status>`, stored once under an id derived
 * from the redemption and the step's version, then signalled, with the subscribed endpoints, to the redemption's
 * webhook deliveries workflow. Called by the status-changing steps, in the order the changes happen.
 */
import type { Client } from '@temporalio/client';
import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import type { RedemptionStatus } from '../domain/states';
import { eventTypeOf, subscribesTo } from '../domain/webhooks';
import { Redemptions, toRedemptionView } from '../store/redemptions';
import { WebhookEndpoints, WebhookEvents } from '../store/webhooks';
import type { webhookDeliveriesWorkflow } from '../workflows';
import { webhookEventSignal } from '../workflows/messages';

export interface StatusChange {
  redemptionId: string;
  /** The version of the step that made the change (0 for the redemption's creation as pending). */
  version: number;
  status: RedemptionStatus;
}

export interface MerchantEvents {
  statusChanged(change: StatusChange): Promise<void>;
}

/** The same id for a repeated step, so that receivers can de-duplicate on Webhook-Id. */
export function webhookEventId(redemptionId: string, version: number): string {
  return `evt_${createHash('sha256').update(`${redemptionId}/${version}`).digest('hex').slice(0, 32)}`;
}

export function webhookDeliveriesWorkflowId(redemptionId: string): string {
  return `webhooks/${redemptionId}`;
}

type WebhookEvent = { eventId: string; endpointIds: string[] };

export function createMerchantEvents(db: Db, temporal: Client, config: Config): MerchantEvents {
  const endpoints = new WebhookEndpoints(db);
  const events = new WebhookEvents(db);
  const redemptions = new Redemptions(db);

  // Read at most once per endpointsCacheMs, not at every status change of every redemption: most merchants register
  // few endpoints, rarely. A deleted or disabled one still gets nothing, since each delivery reads its endpoint.
  let enabled: { readAt: number; endpoints: ReturnType<WebhookEndpoints['enabled']> } | undefined;
  function enabledEndpoints() {
    const now = Date.now();
    if (!enabled || now - enabled.readAt >= config.webhooks.endpointsCacheMs) {
      const read = endpoints.enabled();
      enabled = { readAt: now, endpoints: read };
      read.catch(() => {
        if (enabled?.endpoints === read) enabled = undefined;
      });
    }
    return enabled.endpoints;
  }

  return {
    async statusChanged({ redemptionId, version, status }) {
      const type = eventTypeOf(status);
      const subscribed = (await enabledEndpoints()).filter((endpoint) => subscribesTo(endpoint.events, type));
      if (subscribed.length === 0) return;
      // A step repeated after its change was applied emits again (its first run may have died before emitting); a
      // stale step, overtaken by a newer one, emits nothing.
      const document = await redemptions.get(redemptionId);
      if (!document || document.version !== version || document.status !== status) return;

      const eventId = webhookEventId(redemptionId, version);
      const createdAt = document.updated_at;
      const body = JSON.stringify({
        id: eventId,
        type,
        created_at: createdAt.toISOString(),
        data: toRedemptionView(document),
      });
      await events.insertOnce({ _id: eventId, type, redemption_id: redemptionId, body, created_at: createdAt });
      // One signal per event, whatever the number of endpoints: the redemption's step waits on nothing more.
      await temporal.workflow.signalWithStart<typeof webhookDeliveriesWorkflow, [WebhookEvent]>(
        'webhookDeliveriesWorkflow',
        {
          workflowId: webhookDeliveriesWorkflowId(redemptionId),
          taskQueue: config.temporal.taskQueue,
          args: [
            {
              redemptionId,
              taskQueue: config.webhooks.taskQueue,
              timeoutMs: config.webhooks.timeoutMs,
              retry: {
                initialIntervalMs: config.webhooks.retryInitialMs,
                maximumIntervalMs: config.webhooks.retryMaxMs,
              },
            },
          ],
          signal: webhookEventSignal,
          signalArgs: [{ eventId, endpointIds: subscribed.map((endpoint) => endpoint._id) }],
          staticSummary: `Webhook deliveries of redemption ${redemptionId}`,
        },
      );
    },
  };
}
