/**
 * Merchant webhook endpoints as use cases: register one (its secret is shown this once), list, read and delete them,
 * rotate a secret, and read an endpoint's delivery attempts. Deliveries themselves run in the worker.
 */
import { Refusal } from '../domain/failures';
import { namesPrivateHost } from '../domain/webhook-urls';
import type { Caller } from '../domain/scopes';
import type { WebhookEndpointInput } from '../domain/webhooks';
import { secretBoxOf } from '../store/secret-box';
import { WebhookDeliveries, WebhookEndpoints, type WebhookEndpointDocument } from '../store/webhooks';
import type { ApplicationDeps } from './index';
import { nudgeWebhookLane } from './webhook-lanes';

type Page = { skip: number; limit: number };

export class WebhookEndpointsDesk {
  private readonly endpoints: WebhookEndpoints;
  private readonly attempts: WebhookDeliveries;

  constructor(private readonly deps: ApplicationDeps) {
    this.endpoints = new WebhookEndpoints(deps.db, secretBoxOf(deps.config));
    this.attempts = new WebhookDeliveries(deps.db);
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
