import { Router } from 'express';
import { z } from 'zod';
import type { Application } from '../application';
import { normalizeCouponCode } from '../domain/coupon';
import { NOTE_LIMITS, OPERATOR_ACTIONS } from '../domain/operator-actions';
import { REVIEW_OUTCOMES } from '../domain/review';
import { createRedemptionSchema, redemptionViewSchema } from '../domain/redemption';
import { toRedemptionView } from '../domain/redemption-view';
import { REDEMPTION_STATUSES, REJECTION_REASONS } from '../domain/states';
import { plainText, requiredText } from '../domain/text';
import type { AppDeps } from './app';
import { ApiError } from './errors';
import type { Metrics } from './metrics';
import { pageWindow, paginate, paginatedSchema, paginationQuery, parseSort } from './pagination';
import { answerCreateRedemption, redemptionRefSchema, redemptionWithEventsSchema } from './redemption-views';
import { callerOf } from './auth';
import { errorSchema, idempotencyKeyHeader, type RouteBook } from './routes';

const idParams = z.object({ id: plainText(100).min(1) });
const idempotencyHeaders = z.object({
  'Idempotency-Key': idempotencyKeyHeader(
    'The same key with the same body answers the same redemption; with another body, 409',
  ),
});
const actionParams = z.object({ id: plainText(100).min(1), action: z.enum(OPERATOR_ACTIONS) });
const actionBodySchema = z
  .object({
    reason: requiredText(NOTE_LIMITS.reason).optional(),
    outcome: z.enum(REVIEW_OUTCOMES).optional(),
  })
  .strict()
  .meta({ id: 'OperatorAction' });

const quoteSchema = z
  .object({
    eligible: z.boolean().meta({ description: 'Whether Create Redemption with this body would go through now' }),
    points: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'What it costs; null when the option is unknown or point_redemptions is not valid for it' }),
    points_available: z
      .number()
      .int()
      .nullable()
      .meta({ description: "The member's available points now; null when no member matches" }),
    points_available_after: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'What the member would have left once redeemed; null when not eligible' }),
    reasons: z.array(z.enum(REJECTION_REASONS)).meta({
      description:
        'Every reason Create Redemption would refuse it for now, in its codes (the first is the one it would answer); ' +
        'empty when eligible',
    }),
  })
  .meta({ id: 'RedemptionQuote' });

const SORT_FIELDS = ['created_at', 'updated_at', 'status'];
const listQuery = paginationQuery(SORT_FIELDS).extend({
  member_id: plainText().min(1).optional(),
  status: z.enum(REDEMPTION_STATUSES).optional(),
  coupon_code: z.string().min(1).optional(),
});

export function redemptionsRouter(
  deps: AppDeps,
  { redemptions: desk, quotes, actions }: Application,
  routes: RouteBook,
  metrics: Metrics,
): Router {
  const router = Router();
  const error = (description: string) => ({ description, schema: errorSchema });

  routes.add(
    router,
    '/v1',
    {
      method: 'post',
      path: '/v1/redemptions',
      summary: 'Create Redemption: redeem a member’s points for a reward (optional Idempotency-Key header)',
      tag: 'Redemptions',
      auth: 'api-key',
      scopes: ['redemptions'],
      body: createRedemptionSchema,
      headers: idempotencyHeaders,
      responses: {
        201: {
          description: 'Completed, or awaiting its order (the coupon is in reward_text)',
          schema: redemptionViewSchema,
        },
        202: {
          description:
            'Not decided within the synchronous wait, or needs_review (the partner never answered; an operator will ' +
            'settle it); poll GET /v1/redemptions/{id}',
          schema: redemptionRefSchema,
        },
        409: error('The Idempotency-Key was used with another body'),
        422: error('Rejected; the code is the reason'),
        502: error('The partner could not fulfil it; the points are back'),
      },
    },
    async ({ body, headers }, _req, res) => {
      const result = await desk.create(callerOf(res).client, headers['Idempotency-Key'], body);
      if (result.kind === 'waiting') {
        metrics.redemptionOutcomes.inc({ status: result.status });
        res.status(202).json({ id: result.id, status: result.status });
        return;
      }
      metrics.redemptionOutcomes.inc({ status: result.redemption.status });
      answerCreateRedemption(res, result.redemption);
    },
  );

  routes.add(
    router,
    '/v1',
    {
      method: 'post',
      path: '/v1/redemptions/quote',
      summary:
        'Quote a redemption: what Create Redemption would decide now for this body, its cost and every reason it ' +
        'would be refused for; changes nothing',
      tag: 'Redemptions',
      auth: 'api-key',
      scopes: ['redemptions'],
      body: createRedemptionSchema,
      responses: { 200: { description: 'The quote, eligible or not', schema: quoteSchema } },
    },
    async ({ body }, _req, res) => {
      res.json(await quotes.quote(body));
    },
  );

  routes.add(
    router,
    '/v1',
    {
      method: 'get',
      path: '/v1/redemptions/{id}',
      summary: 'A redemption with its ordered audit events',
      tag: 'Redemptions',
      auth: 'api-key',
      scopes: ['redemptions', 'operator'],
      params: idParams,
      responses: { 200: { description: 'The redemption', schema: redemptionWithEventsSchema }, 404: error('Unknown') },
    },
    async ({ params }, _req, res) => {
      const document = await desk.withEvents(params.id, callerOf(res));
      if (!document) throw ApiError.notFound(`Redemption ${params.id}`);
      res.json({ ...toRedemptionView(document), events: document.events });
    },
  );

  routes.add(
    router,
    '/v1',
    {
      method: 'get',
      path: '/v1/redemptions',
      summary: 'Redemptions, filtered by member_id, status or coupon_code',
      tag: 'Redemptions',
      auth: 'api-key',
      scopes: ['redemptions', 'operator'],
      query: listQuery,
      responses: {
        200: { description: 'A page of redemptions', schema: paginatedSchema(redemptionViewSchema, 'RedemptionPage') },
      },
    },
    async ({ query }, _req, res) => {
      const couponCode = query.coupon_code === undefined ? undefined : (normalizeCouponCode(query.coupon_code) ?? '-');
      const sort = parseSort(query.sort, SORT_FIELDS, { created_at: -1 });
      const { items, total } = await desk.list(
        callerOf(res),
        { member_id: query.member_id, status: query.status, coupon_code: couponCode },
        { ...pageWindow(query), sort },
      );
      res.json(
        paginate(
          deps.config.publicBaseUrl,
          { path: '/v1/redemptions', query },
          {
            items: items.map(toRedemptionView),
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
    '/v1',
    {
      method: 'post',
      path: '/v1/redemptions/{id}/cancel',
      summary: 'Cancel a redemption that awaits its order; its held points are released',
      tag: 'Redemptions',
      auth: 'api-key',
      scopes: ['redemptions'],
      params: idParams,
      responses: {
        200: { description: 'Cancelled', schema: redemptionViewSchema },
        404: error('Unknown'),
        409: error('Already captured, or otherwise past cancelling'),
      },
    },
    async ({ params }, _req, res) => {
      res.json(toRedemptionView(await actions.cancel(params.id, callerOf(res))));
    },
  );

  routes.add(
    router,
    '/v1',
    {
      method: 'post',
      path: '/v1/redemptions/{id}/actions/{action}',
      summary:
        "An operator's action, audited with the API client and the reason: release a hold now, refund a completed " +
        'redemption (reason required), or resolve one in needs_review (outcome required)',
      tag: 'Redemptions',
      auth: 'api-key',
      scopes: ['operator'],
      params: actionParams,
      body: actionBodySchema,
      responses: {
        200: { description: 'Done: the redemption as it is now', schema: redemptionViewSchema },
        404: error('Unknown'),
        409: error('The action does not apply to the redemption as it is'),
        422: error('The action needs a reason or an outcome'),
      },
    },
    async ({ params, body }, _req, res) => {
      res.json(toRedemptionView(await actions.operate(params.id, params.action, body, callerOf(res))));
    },
  );

  return router;
}
