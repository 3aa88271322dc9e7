/** Deliverect's loyalty webhooks (seed 003), each signed with an HMAC-SHA256 of the raw body. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import {
  deliverectCancelSchema,
  deliverectOrderNotificationSchema,
  loyaltyProgramsRequestSchema,
} from '../../domain/deliverect';
import { PARTNERS } from '../../domain/partners';
import type { AppDeps, RawBodyRequest } from '../app';
import { emptyAnswerSchema, errorSchema, type RouteBook } from '../routes';
import type { Application } from '../../application';
import { requirePartnerCredential } from './partner-auth';

const programSchema = z
  .object({
    programId: z.string(),
    title: z.string(),
    description: z.string(),
    cost: z.number().int(),
    type: z.string(),
    discount: z.number().int().optional(),
    itemPLU: z.string().optional(),
    media: z.object({ url: z.string(), mediaType: z.literal('image') }).optional(),
    expiresAt: z.string().nullable(),
    applicable: z.boolean(),
  })
  .meta({ id: 'DeliverectLoyaltyProgram' });

/** The body as received; the HMAC check has already read it, so it is there. */
const rawBodyOf = (req: Request) => (req as RawBodyRequest).rawBody!.toString('utf8');

const DELIVERECT_PATHS = [
  '/webhooks/deliverect/loyalty-programs',
  '/webhooks/deliverect/orders',
  '/webhooks/deliverect/orders/cancel',
];

export function deliverectWebhooksRouter(deps: AppDeps, application: Application, routes: RouteBook): Router {
  const router = Router();
  router.post(DELIVERECT_PATHS, requirePartnerCredential(deps.config, PARTNERS.deliverect));
  const failures = {
    400: { description: 'Malformed body', schema: errorSchema },
    401: { description: 'Missing or wrong X-Server-Authorization-HMAC-SHA256 signature', schema: errorSchema },
  };

  routes.add(
    router,
    '',
    {
      method: 'post',
      path: '/webhooks/deliverect/loyalty-programs',
      summary: "The member's programmes for this basket, each marked applicable or not",
      tag: 'Partner webhooks',
      auth: 'partner',
      body: loyaltyProgramsRequestSchema,
      responses: { 200: { description: 'Programmes', schema: z.array(programSchema) }, ...failures },
    },
    async ({ body }, _req, res) => {
      res.json(await application.loyaltyPrograms.forBasket(body));
    },
  );

  routes.add(
    router,
    '',
    {
      method: 'post',
      path: '/webhooks/deliverect/orders',
      summary:
        'A loyalty order: deducts the points of each redeemed programme (one redemption per orderId + programId)',
      tag: 'Partner webhooks',
      auth: 'partner',
      body: deliverectOrderNotificationSchema,
      responses: {
        200: { description: 'Recorded; the redemptions run on their own', schema: emptyAnswerSchema },
        ...failures,
      },
    },
    async ({ body }, req, res) => {
      await application.deliverect.receiveOrder(body, rawBodyOf(req));
      res.json({});
    },
  );

  routes.add(
    router,
    '',
    {
      method: 'post',
      path: '/webhooks/deliverect/orders/cancel',
      summary: 'The order was cancelled: refunds what it redeemed',
      tag: 'Partner webhooks',
      auth: 'partner',
      body: deliverectCancelSchema,
      responses: {
        200: { description: 'Recorded; the refunds run on their own', schema: emptyAnswerSchema },
        ...failures,
      },
    },
    async ({ body }, req, res) => {
      await application.deliverect.receiveCancel(body, rawBodyOf(req));
      res.json({});
    },
  );
  return router;
}
