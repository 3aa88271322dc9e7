/**
 * Merchant webhook endpoints as use cases: register one (its secret is shown this once), list, read and delete them,
 * rotate a secret, read an endpoint's delivery attempts, and replay its events of a window. Deliveries themselves run
 * in the worker.
 */
import { Refusal } from '../domain/failures';
import { replayWindow, type ReplayWindow } from '../domain/webhook-replay';
import { namesPrivateHost } from '../domain/webhook-urls';
import type { Caller } from '../domain/scopes';
import type { WebhookEndpointInput } from '../domain/webhooks';
import { inBatches } from '../store/batches';
import { secretBoxOf } from '../store/secret-box';
import { WebhookHistory } from '../store/webhook-history';
import { WebhookDeliveries, WebhookEndpoints, WebhookOutbox, type WebhookEndpointDocument } from '../store/webhooks';
import type { ApplicationDeps } from './index';
import { nudgeWebhookLane } from './webhook-lanes';

type Page = { skip: number; limit: number };

/** Events a replay reads from the history and owes again at a time. */
const REPLAY_BATCH = 500;

export class WebhookEndpointsDesk {
  private readonly endpoints: WebhookEndpoints;
  private readonly attempts: WebhookDeliveries;
  private readonly history: WebhookHistory;
  private readonly outbox: WebhookOutbox;

  constructor(private readonly deps: ApplicationDeps) {
    this.endpoints = new WebhookEndpoints(deps.db, secretBoxOf(deps.config));
    this.attempts = new WebhookDeliveries(deps.db);
    this.history = new WebhookHistory(deps.db);
    this.outbox = new WebhookOutbox(deps.db);
  }

  /**
   * The endpoint, the caller's, receives the events it subscribes to from the next status change on. A client has at
   * most WEBHOOK_ENDPOINTS_PER_CLIENT: counted before, and again after, so that of two registered at once past the cap
   * neither stays.
   */
  async create(input: WebhookEndpointInput, caller: Caller): Promise<WebhookEndpointDocument> {
    if (!this.deps.config.webhooks.allowPrivateUrls && namesPrivateHost(new URL(input.url))) {
      throw new Refusal(
        'webhook_url_not_public',
        `${input.url} is not on the public internet; webhooks go to public addresses only (WEBHOOK_ALLOW_PRIVATE_URLS).`,
      );
    }
    const cap = this.deps.config.webhooks.endpointsPerClient;
    if ((await this.endpoints.countOf(caller.client)) >= cap) limitReached(cap);
    const endpoint = await this.endpoints.create(input, caller.client);
    if ((await this.endpoints.countOf(caller.client)) > cap) {
      await this.endpoints.delete(endpoint._id);
      limitReached(cap);
    }
    return endpoint;
  }

  list(caller: Caller, page: Page & { sort: Record<string, 1 | -1> }) {
    return this.endpoints.list(ownersVisibleTo(caller), page);
  }

  /** The endpoint, if the caller's: another client's is as unknown as a missing one. */
  async get(id: string, caller: Caller): Promise<WebhookEndpointDocument> {
    const endpoint = await this.endpoints.get(id);
    if (!endpoint || !ownersVisibleTo(caller).includes(endpoint.client_id ?? null)) notFound(id);
    return endpoint;
  }

  /**
   * Its lane, nudged, finds it gone: it drops what the endpoint was still owed and its delivery attempts, and ends (one
   * which had ended comes back to do that). Nudged before too, so that Temporal being down answers 503 before anything
   * is deleted, and a deletion is never left without its lane to tidy up after it.
   */
  async delete(id: string, caller: Caller): Promise<void> {
    await this.get(id, caller);
    await nudgeWebhookLane(this.deps.temporal, this.deps.config, id);
    if (!(await this.endpoints.delete(id))) notFound(id);
    await nudgeWebhookLane(this.deps.temporal, this.deps.config, id);
  }

  async rotateSecret(id: string, caller: Caller): Promise<WebhookEndpointDocument> {
    await this.get(id, caller);
    const overlapMs = this.deps.config.webhooks.secretOverlapSeconds * 1000;
    return (await this.endpoints.rotateSecret(id, overlapMs)) ?? notFound(id);
  }

  async deliveries(id: string, caller: Caller, page: Page) {
    await this.get(id, caller);
    return this.attempts.listForEndpoint(id, page);
  }

  /**
   * Owes the endpoint again, due at once, each event it was sent (delivered or given up) that happened in the window,
   * under its original id; its lane sends them as it sends every event, signed afresh. An event the endpoint is still
   * owed is left to the delivery under way, so it is not sent twice. How many events it owed again.
   */
  async replay(
    id: string,
    caller: Caller,
    asked: { since: Date; until?: Date | undefined },
    now = new Date(),
  ): Promise<ReplayWindow & { queued: number }> {
    const endpoint = await this.get(id, caller);
    const window = replayWindow(asked, now, this.deps.config.webhooks.replayMaxWindowDays);
    if (endpoint.status !== 'enabled') {
      throw new Refusal(
        'webhook_endpoint_disabled',
        `Webhook endpoint ${id} is disabled (${endpoint.disabled_reason ?? 'no reason given'}) and is sent nothing; register its URL again.`,
      );
    }
    // Nudged before too, so that Temporal being down answers 503 before anything is owed.
    await nudgeWebhookLane(this.deps.temporal, this.deps.config, id);
    let queued = 0;
    for await (const events of inBatches(this.history.between(id, window.since, window.until), REPLAY_BATCH)) {
      queued += await this.outbox.oweAgain(events, now);
    }
    if (queued > 0) await nudgeWebhookLane(this.deps.temporal, this.deps.config, id);
    return { ...window, queued };
  }
}

/**
 * Whose endpoints a caller manages: its client's, and, with webhooks:all, those registered before endpoints had owners
 * (which hear every client's redemptions).
 */
function ownersVisibleTo(caller: Caller): (string | null)[] {
  return caller.scopes.has('webhooks:all') ? [caller.client, null] : [caller.client];
}

function limitReached(cap: number): never {
  throw new Refusal(
    'webhook_endpoint_limit_reached',
    `This client has ${cap} webhook endpoints, as many as it may (WEBHOOK_ENDPOINTS_PER_CLIENT); delete one first.`,
  );
}

function notFound(id: string): never {
  throw new Refusal('webhook_endpoint_not_found', `Webhook endpoint ${id} was not found.`);
}
