import { Router } from 'express';
import { z } from 'zod';
import { currencySchema } from '../domain/options';
import type { PartnerName } from '../domain/partners';
import type { OrderCapture } from '../domain/redemption';
import { requiredText } from '../domain/text';
import type { Application } from '../application';
import { ORDER_SOURCES } from '../application/order-sources';
import { ApiError } from './errors';
import { redemptionRefSchema } from './redemption-views';
import { callerOf } from './auth';
import { errorSchema, idempotencyKeyHeader, type RouteBook } from './routes';

const text = requiredText(200);

export const orderSchema = z
  .object({
    order_id: text,
    coupon_code: text.optional(),
    coupon_codes: z.array(text).min(1).max(20).optional(),
    branch_id: text.optional(),
    business_ref: text.optional(),
    subtotal: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    currency: currencySchema.optional(),
  })
  .strict()
  .refine((order) => (order.coupon_code === undefined) !== (order.coupon_codes === undefined), {
    message: 'send either coupon_code or coupon_codes',
    path: ['coupon_code'],
  })
  .meta({
    id: 'OrderCreated',
    oneOf: [
      { required: ['coupon_code'], properties: { coupon_codes: false } },
      { required: ['coupon_codes'], properties: { coupon_code: false } },
    ],
  });

const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** Part of an order: its items, or an amount of its subtotal; neither (or no body) is the whole order. */
export const orderCancelSchema = z
  .object({
    items: z
      .array(
        z
          .object({
            plu: text.meta({ description: "The item's PLU, as a reward's item_plu names it" }),
            quantity: positiveInt.max(10_000).meta({ description: 'Units of that item cancelled' }),
          })
          .strict(),
      )
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'Refunds the item rewards of these items: one reward per unit, in full' }),
    amount: positiveInt.optional().meta({
      description: "Minor units of the order's subtotal cancelled: order-level rewards refunded in proportion",
    }),
  })
  .strict()
  .refine((part) => part.items === undefined || part.amount === undefined, {
    message: 'send either items or amount, not both',
    path: ['amount'],
  })
  .meta({
    id: 'OrderCancellation',
    oneOf: [
      { required: ['items'], properties: { amount: false } },
      { required: ['amount'], properties: { items: false } },
      { properties: { items: false, amount: false } },
    ],
  });

/** The body names a part of the order, which only a named cancellation may refund. */
const PARTIAL_FIELDS = ['items', 'amount'];

const cancelHeaders = z.object({
  'Idempotency-Key': idempotencyKeyHeader(
    'Names the cancellation: resent with the same key it refunds nothing more, and with another body (a part, or the whole order) it is refused 409. Required to cancel part of the order (items or amount)',
  ).meta({ 'x-required-if-body-has': PARTIAL_FIELDS }),
});

const cancelQuery = z.object({
  source: z
    .enum(ORDER_SOURCES)
    .default('merchant')
    .meta({
      description:
        'Whose order id it is: merchant (captured through POST /v1/orders or a till, the default) or deliverect ' +
        '(a Deliverect order, for instance to cancel part of it). An id names a different order in each',
    }),
});

const orderCancelledSchema = z
  .object({
    order_id: z.string(),
    redemptions: z.array(redemptionRefSchema),
    refunds: z
      .array(z.object({ id: z.string(), points: z.number().int() }))
      .meta({ description: 'Points this cancellation gave back, by redemption (none when nothing was owed)' }),
  })
  .meta({ id: 'OrderCancelled' });

const orderAnswerSchema = z
  .object({ order_id: z.string(), redemptions: z.array(redemptionRefSchema) })
  .meta({ id: 'OrderRedemptions' });

export function orderCaptureOf(
  order: Omit<z.output<typeof orderSchema>, 'coupon_code' | 'coupon_codes'>,
  sourcePartner?: PartnerName,
): OrderCapture {
  return {
    order_id: order.order_id,
    ...(order.branch_id !== undefined ? { branch_id: order.branch_id } : {}),
    ...(order.business_ref !== undefined ? { business_ref: order.business_ref } : {}),
    ...(order.subtotal !== undefined ? { subtotal: order.subtotal } : {}),
    ...(order.currency !== undefined ? { currency: order.currency } : {}),
    ...(sourcePartner ? { source_partner: sourcePartner } : {}),
  };
}

export function ordersRouter({ orders: desk }: Application, routes: RouteBook): Router {
  const router = Router();
  const error = (description: string) => ({ description, schema: errorSchema });

  routes.add(
    router,
    '/v1',
    {
      method: 'post',
      path: '/v1/orders',
      summary:
        'An order was created with coupons: capture the held points of each (the same order again changes nothing)',
      tag: 'Orders',
      auth: 'api-key',
      scopes: ['orders'],
      body: orderSchema,
      responses: {
        200: { description: 'Captured', schema: orderAnswerSchema },
        202: {
          description:
            'Accepted, but a capture has not finished within the wait (the store or a workflow is slow): send the same order again for the final answer',
          schema: orderAnswerSchema,
        },
        404: error('A coupon is unknown'),
        409: error('A coupon was already used by another order'),
        422: error('A coupon is expired, cancelled, or not usable for this order'),
      },
    },
    async ({ body }, _req, res) => {
      const documents = await desk.redemptionsOfCoupons(body.coupon_codes ?? [body.coupon_code!]);
      const { redemptions, settled } = await desk.capture(documents, {
        ...orderCaptureOf(body),
        client: callerOf(res).client,
      });
      res.status(settled ? 200 : 202).json({ order_id: body.order_id, redemptions });
    },
  );

  routes.add(
    router,
    '/v1',
    {
      method: 'post',
      path: '/v1/orders/{order_id}/cancel',
      summary:
        'The order was cancelled, in whole (no body) or in part (items or amount): refund what it captured for that part',
      tag: 'Orders',
      auth: 'api-key',
      scopes: ['orders'],
      params: z.object({ order_id: text }),
      query: cancelQuery,
      body: orderCancelSchema,
      headers: cancelHeaders,
      responses: {
        200: { description: 'Refunded what was owed, possibly nothing', schema: orderCancelledSchema },
        202: {
          description:
            'A refund is still in progress (the store or a workflow is slow): send the same request again for the final answer; it refunds nothing twice',
          schema: orderCancelledSchema,
        },
        400: error('Invalid input, or part of the order (items or amount) sent without an Idempotency-Key'),
        404: error('No redemption was used by that order of that source'),
        409: error(
          'A reward of the order is not settled yet (order_not_settled), or the Idempotency-Key was used with another body: another part, or the whole order (idempotency_key_reused)',
        ),
        422: error('Past the refund window, or an amount for an order whose subtotal is unknown'),
      },
    },
    async ({ params, query, body, headers }, _req, res) => {
      // A client that retries a part it sent without a key would be refunded twice.
      if (PARTIAL_FIELDS.some((field) => field in body) && headers['Idempotency-Key'] === undefined) {
        throw ApiError.badRequest(
          'Send an Idempotency-Key header to cancel part of an order, the same one on a retry.',
          [{ path: 'Idempotency-Key', message: 'is required when items or amount is sent' }],
        );
      }
      const { settled, ...cancelled } = await desk.cancelOrder(
        params.order_id,
        body,
        { clientId: callerOf(res).client, idempotencyKey: headers['Idempotency-Key'] },
        query.source,
      );
      res.status(settled ? 200 : 202).json({ order_id: params.order_id, ...cancelled });
    },
  );

  return router;
}
