import { Router } from 'express';
import { z } from 'zod';
import type { Application } from '../application';
import { plainText } from '../domain/text';
import { webhookReplayInputSchema } from '../domain/webhook-replay';
import { ALL_EVENTS, WEBHOOK_AUDIENCES, WEBHOOK_EVENT_TYPES, webhookEndpointInputSchema } from '../domain/webhooks';
import type { WebhookDeliveryDocument, WebhookEndpointDocument } from '../store/webhooks';
import type { AppDeps } from './app';
import { callerOf, requireScope } from './auth';
import { pageWindow, paginate, paginatedSchema, paginationQuery, parseSort } from './pagination';
import { errorSchema, type RouteBook } from './routes';

const MOUNT = '/v1';
const TAG = 'Webhook endpoints';

const webhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z.string().meta({ description: 'As registered' }),
    events: z.array(z.enum([ALL_EVENTS, ...WEBHOOK_EVENT_TYPES])),
    description: z.string().nullable(),
    redemptions: z.enum(WEBHOOK_AUDIENCES).meta({
      description: "Whose redemptions it hears: the registering client's own, or every client's",
    }),
    status: z.enum(['enabled', 'disabled']).meta({ description: 'Disabled when its URL answered 410 Gone' }),
    disabled_reason: z.string().nullable(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'WebhookEndpoint' });

const endpointWithSecretSchema = webhookEndpointSchema
  .extend({
    secret: z.string().meta({
      description: 'whsec_<base64>: the HMAC key is the base64-decoded part. Shown only on create and rotate',
    }),
    previous_secret_expires_at: z.iso
      .datetime()
      .nullable()
      .meta({
        description:
          'After a rotation: until when the replaced secret still signs each delivery beside the new one ' +
          '(WEBHOOK_SECRET_OVERLAP_SECONDS); null when none does',
      }),
  })
  .meta({ id: 'WebhookEndpointWithSecret' });

const deliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    event_type: z.enum(WEBHOOK_EVENT_TYPES),
    attempt: z.number().int().min(1),
    http_status: z.number().int().nullable().meta({ description: 'Null when no answer came; see error' }),
    error: z.string().nullable(),
    latency_ms: z.number().int(),
    succeeded: z.boolean(),
    next_try_at: z.iso.datetime().nullable().meta({ description: 'Null when no other attempt will be made' }),
    attempted_at: z.iso.datetime(),
    replay: z.boolean().meta({ description: 'An attempt of an event sent again by a replay' }),
  })
  .meta({ id: 'WebhookDelivery' });

const replaySchema = z
  .object({
    queued: z.number().int().min(0).meta({
      description: 'Events of the window owed again; those the endpoint is still owed are not counted, nor sent twice',
    }),
    since: z.iso.datetime(),
    until: z.iso.datetime().meta({ description: 'The end of the window: now when it was left out' }),
  })
  .meta({ id: 'WebhookReplay' });

const idParams = z.object({ id: plainText(100).min(1).meta({ description: 'The endpoint id (whe_…)' }) });
const SORTS = { created_at: 'created_at', url: 'url' } as const;
const listQuery = paginationQuery(Object.keys(SORTS));
const deliveriesQuery = paginationQuery([]);

function endpointView(endpoint: WebhookEndpointDocument) {
  return {
    id: endpoint._id,
    url: endpoint.url,
    events: endpoint.events,
    redemptions: endpoint.client_id == null ? 'all' : (endpoint.redemptions ?? 'own'),
    description: endpoint.description,
    status: endpoint.status,
    disabled_reason: endpoint.disabled_reason,
    created_at: endpoint.created_at.toISOString(),
  };
}

/** The secret, shown on create and rotate, and when the one it replaced stops signing. */
function secretView(endpoint: WebhookEndpointDocument) {
  const expiries = (endpoint.previous_secrets ?? []).map(({ expires_at }) => expires_at.getTime());
  return {
    secret: endpoint.secret,
    previous_secret_expires_at: expiries.length > 0 ? new Date(Math.max(...expiries)).toISOString() : null,
  };
}

function deliveryView(delivery: WebhookDeliveryDocument) {
  return {
    id: delivery.delivery_id,
    event_id: delivery.event_id,
    event_type: delivery.event_type,
    attempt: delivery.attempt,
    http_status: delivery.http_status,
    error: delivery.error,
    latency_ms: delivery.latency_ms,
    succeeded: delivery.succeeded,
    next_try_at: delivery.next_try_at?.toISOString() ?? null,
    attempted_at: delivery.attempted_at.toISOString(),
    replay: delivery.replay ?? false,
  };
}

export function webhookEndpointsRouter(
  deps: AppDeps,
  { webhookEndpoints: desk }: Application,
  routes: RouteBook,
): Router {
  const router = Router();
  const notFound = { description: 'Unknown endpoint', schema: errorSchema };

  routes.add(
    router,
    MOUNT,
    {
      method: 'post',
      path: '/v1/webhook-endpoints',
      summary: 'Register a URL for signed redemption events; its secret is shown only in this answer',
      tag: TAG,
      auth: 'api-key',
      scopes: ['webhooks', 'webhooks:all'],
      body: webhookEndpointInputSchema,
      responses: {
        201: { description: 'Registered', schema: endpointWithSecretSchema },
        422: {
          description:
            'webhook_url_not_public: the URL names a private or local address (see WEBHOOK_ALLOW_PRIVATE_URLS); ' +
            'webhook_endpoint_limit_reached: the client has as many endpoints as it may (WEBHOOK_ENDPOINTS_PER_CLIENT)',
          schema: errorSchema,
        },
      },
    },
    async ({ body }, _req, res) => {
      const caller = callerOf(res);
      if (body.redemptions === 'all') requireScope(caller, ['webhooks:all']);
      const endpoint = await desk.create(body, caller);
      res.status(201).json({ ...endpointView(endpoint), ...secretView(endpoint) });
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'get',
      path: '/v1/webhook-endpoints',
      summary: 'The webhook endpoints, oldest first unless sorted otherwise',
      tag: TAG,
      auth: 'api-key',
      scopes: ['webhooks', 'webhooks:all'],
      query: listQuery,
      responses: {
        200: {
          description: 'One page of endpoints',
          schema: paginatedSchema(webhookEndpointSchema, 'WebhookEndpointPage'),
        },
      },
    },
    async ({ query }, _req, res) => {
      const sort = parseSort(query.sort, SORTS, { created_at: 1 });
      const { items, total } = await desk.list(callerOf(res), { ...pageWindow(query), sort });
      res.json(
        paginate(
          deps.config.publicBaseUrl,
          { path: '/v1/webhook-endpoints', query },
          {
            items: items.map(endpointView),
            total,
            page: query.page,
            perPage: query.per_page,
          },
        ),
      );
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'get',
      path: '/v1/webhook-endpoints/{id}',
      summary: 'One webhook endpoint (without its secret)',
      tag: TAG,
      auth: 'api-key',
      scopes: ['webhooks', 'webhooks:all'],
      params: idParams,
      responses: { 200: { description: 'The endpoint', schema: webhookEndpointSchema }, 404: notFound },
    },
    async ({ params }, _req, res) => {
      res.json(endpointView(await desk.get(params.id, callerOf(res))));
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'delete',
      path: '/v1/webhook-endpoints/{id}',
      summary: 'Delete a webhook endpoint: it receives nothing more, not even deliveries already under way',
      tag: TAG,
      auth: 'api-key',
      scopes: ['webhooks', 'webhooks:all'],
      params: idParams,
      responses: { 204: { description: 'Deleted' }, 404: notFound },
    },
    async ({ params }, _req, res) => {
      await desk.delete(params.id, callerOf(res));
      res.status(204).end();
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'post',
      path: '/v1/webhook-endpoints/{id}/rotate-secret',
      summary:
        'Replace the signing secret, shown only here: every attempt from now on is signed with it, and with the ' +
        'replaced one too for WEBHOOK_SECRET_OVERLAP_SECONDS (24 h), so that receivers can switch without a gap',
      tag: TAG,
      auth: 'api-key',
      scopes: ['webhooks', 'webhooks:all'],
      params: idParams,
      responses: {
        200: { description: 'The endpoint with its new secret', schema: endpointWithSecretSchema },
        404: notFound,
      },
    },
    async ({ params }, _req, res) => {
      const endpoint = await desk.rotateSecret(params.id, callerOf(res));
      res.json({ ...endpointView(endpoint), ...secretView(endpoint) });
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'get',
      path: '/v1/webhook-endpoints/{id}/deliveries',
      summary:
        "The endpoint's delivery attempts, newest first; those older than WEBHOOK_DELIVERY_RETENTION_DAYS (30) are " +
        'dropped, a block of 50 at a time, and `total` still counts them',
      tag: TAG,
      auth: 'api-key',
      scopes: ['webhooks', 'webhooks:all'],
      params: idParams,
      query: deliveriesQuery,
      responses: {
        200: { description: 'One page of attempts', schema: paginatedSchema(deliverySchema, 'WebhookDeliveryPage') },
        404: notFound,
      },
    },
    async ({ params, query }, _req, res) => {
      const { items, total } = await desk.deliveries(params.id, callerOf(res), pageWindow(query));
      res.json(
        paginate(
          deps.config.publicBaseUrl,
          { path: `/v1/webhook-endpoints/${encodeURIComponent(params.id)}/deliveries`, query },
          {
            items: items.map(deliveryView),
            total,
            page: query.page,
            perPage: query.per_page,
          },
        ),
      );
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'post',
      path: '/v1/webhook-endpoints/{id}/replay',
      summary:
        'Send again the events of a window that the endpoint was sent, each under its original Webhook-Id (receivers ' +
        'de-duplicate on it), signed afresh, in order for each redemption. Each request queues the window again',
      tag: TAG,
      auth: 'api-key',
      scopes: ['webhooks', 'webhooks:all'],
      params: idParams,
      body: webhookReplayInputSchema,
      responses: {
        202: { description: "Queued: the endpoint's lane sends them", schema: replaySchema },
        404: notFound,
        409: { description: 'webhook_endpoint_disabled: the endpoint is disabled', schema: errorSchema },
        422: {
          description:
            'replay_window_too_long: the window is longer than WEBHOOK_REPLAY_MAX_WINDOW_DAYS (7 by default); ' +
            'replay_since_in_future: until is left out and since is not in the past',
          schema: errorSchema,
        },
      },
    },
    async ({ params, body }, _req, res) => {
      const replay = await desk.replay(params.id, callerOf(res), {
        since: new Date(body.since),
        until: body.until === undefined ? undefined : new Date(body.until),
      });
      res.status(202).json({
        queued: replay.queued,
        since: replay.since.toISOString(),
        until: replay.until.toISOString(),
      });
    },
  );

  return router;
}
