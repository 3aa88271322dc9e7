/**
 * Emits a merchant event after a redemption's status changed: `redemption.<status>`, written to the webhook outbox
 * once for each subscribed endpoint, under an id derived from the redemption and the step's version, and then a nudge
 * to each of those endpoints' lanes. That write and that nudge are all the redemption's step waits for: each
 * endpoint's lane (a workflow of its own) delivers what it is owed.
 */
import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import { toRedemptionView } from '../domain/redemption-view';
import type { RedemptionStatus } from '../domain/states';
import { eventTypeOf, hearsRedemptionOf, subscribesTo } from '../domain/webhooks';
import { Redemptions, type RedemptionDocument } from '../store/redemptions';
import { WebhookEndpoints, WebhookOutbox } from '../store/webhooks';

export interface StatusChange {
  redemptionId: string;
  /** The version of the step that made the change (0 for the redemption's creation as pending). */
  version: number;
  status: RedemptionStatus;
  /** The redemption as the step that made the change wrote it; read from the store when a repeated step has none. */
  document?: RedemptionDocument;
}

/**
 * Tells the endpoint's lane that it is owed something new, starting it when it is not running. Failing, it fails the
 * step, which Temporal retries: an event is never left in the outbox with its lane waiting for it.
 */
export type NudgeWebhookLane = (endpointId: string) => Promise<void>;

export interface MerchantEvents {
  statusChanged(change: StatusChange): Promise<void>;
}

/** The same id for a repeated step, so that receivers can de-duplicate on Webhook-Id. */
export function webhookEventId(redemptionId: string, version: number): string {
  return `evt_${createHash('sha256').update(`${redemptionId}/${version}`).digest('hex').slice(0, 32)}`;
}

export function createMerchantEvents(db: Db, nudgeWebhookLane: NudgeWebhookLane, config: Config): MerchantEvents {
  const endpoints = new WebhookEndpoints(db);
  const outbox = new WebhookOutbox(db);
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
    async statusChanged({ redemptionId, version, status, document: written }) {
      const type = eventTypeOf(status);
      const interested = (await enabledEndpoints()).filter((endpoint) => subscribesTo(endpoint.events, type));
      if (interested.length === 0) return;
      // A step repeated after its change was applied emits again (its first run may have died before emitting); a
      // stale step, overtaken by a newer one, emits nothing.
      const document = written ?? (await redemptions.get(redemptionId));
      if (!document || document.version !== version || document.status !== status) return;
      // An endpoint hears its own client's redemptions, unless it was registered to hear everyone's.
      const subscribed = interested.filter((endpoint) => hearsRedemptionOf(endpoint, document.client_id ?? null));
      if (subscribed.length === 0) return;

      const eventId = webhookEventId(redemptionId, version);
      const createdAt = document.updated_at;
      const body = JSON.stringify({
        id: eventId,
        type,
        created_at: createdAt.toISOString(),
        data: toRedemptionView(document),
      });
      await outbox.owe(
        subscribed.map((endpoint) => ({
          _id: `${endpoint._id}/${eventId}`,
          endpoint_id: endpoint._id,
          event_id: eventId,
          event_type: type,
          redemption_id: redemptionId,
          version,
          body,
          created_at: createdAt,
          attempts: 0,
          due_at: createdAt,
        })),
      );
      await Promise.all(subscribed.map((endpoint) => nudgeWebhookLane(endpoint._id)));
    },
  };
}
