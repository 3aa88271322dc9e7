import { Router } from 'express';
import { z } from 'zod';
import { normalizeCouponCode } from '../domain/coupon';
import { checkCouponUse } from '../domain/coupon-use';
import { currencySchema } from '../domain/options';
import type { PartnerName } from '../domain/partners';
import type { OrderCapture } from '../domain/redemption';
import { refusalStatus } from '../domain/refusals';
import { requiredText } from '../domain/text';
import { Options } from '../store/options';
import { Redemptions, type RedemptionDocument } from '../store/redemptions';
import type { AppDeps } from './app';
import { ApiError } from './errors';
import { RedemptionWorkflows } from './redemption-workflows';
import { redemptionRefSchema } from './redemption-views';
import { errorSchema, type RouteBook } from './routes';

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

const orderAnswerSchema = z
  .object({ order_id: z.string(), redemptions: z.array(redemptionRefSchema) })
  .meta({ id: 'OrderRedemptions' });

/**
 * Orders that use coupons: capturing their redemptions, and refunding them when the order is cancelled. Also used by
 * the partner webhooks, which capture a coupon the same way an order does.
 */
export class OrderDesk {
  private readonly redemptions: Redemptions;
  private readonly options: Options;
  private readonly workflows: RedemptionWorkflows;

  constructor(deps: AppDeps) {
    this.redemptions = new Redemptions(deps.db);
    this.options = new Options(deps.db);
    this.workflows = new RedemptionWorkflows(deps.temporal, deps.config);
  }

  /** The redemptions behind the codes; an unknown or malformed code is a 404 naming it. */
  async redemptionsOfCoupons(codes: string[]): Promise<RedemptionDocument[]> {
    const documents: RedemptionDocument[] = [];
    for (const code of codes) {
      const canonical = normalizeCouponCode(code);
      const document = canonical ? await this.redemptions.findByCouponCode(canonical) : null;
      if (!document) throw new ApiError(404, 'coupon_not_found', `Coupon ${code} is not one we issued.`);
      if (!documents.some((known) => known._id === document._id)) documents.push(document);
    }
    return documents;
  }

  /** Refuses the whole order before capturing anything when one of its coupons cannot be used by it. */
  async checkCapture(documents: RedemptionDocument[], capture: OrderCapture): Promise<void> {
    for (const document of documents) {
      const option = await this.options.get(document.redemption_option_id);
      const use = checkCouponUse(document, option, capture);
      if (!use.ok) throw new ApiError(refusalStatus(use.code), use.code, use.message);
    }
  }

  /**
   * Captures every coupon of the order or none: the coupons are checked, then an order with several holds each of
   * them before capturing any, and lets go of those it holds when one is refused. A resent order captures what is left.
   */
  async capture(documents: RedemptionDocument[], capture: OrderCapture) {
    await this.checkCapture(documents, capture);
    const uncaptured = documents.filter((document) => document.order_id !== capture.order_id);
    if (uncaptured.length > 1) await this.claimAll(uncaptured, capture);
    for (const document of uncaptured) await this.workflows.captureOrder(document._id, capture);
    return Promise.all(documents.map((document) => this.reference(document._id)));
  }

  private async claimAll(documents: RedemptionDocument[], capture: OrderCapture): Promise<void> {
    const claimed: string[] = [];
    try {
      for (const document of documents) {
        await this.workflows.claimForOrder(document._id, capture);
        claimed.push(document._id);
      }
    } catch (error) {
      // A hold that cannot be released now lapses after ORDER_CLAIM_LEASE_MS.
      await Promise.allSettled(claimed.map((id) => this.workflows.releaseClaim(id, capture.order_id)));
      throw error;
    }
  }

  async cancelOrder(orderId: string) {
    const documents = await this.redemptions.findByOrderId(orderId);
    if (documents.length === 0)
      throw new ApiError(404, 'order_not_found', `No redemption was used by order ${orderId}.`);
    const results = [];
    for (const document of documents) {
      await this.workflows.cancelOrder(document._id, orderId);
      results.push(await this.reference(document._id));
    }
    return results;
  }

  private async reference(id: string) {
    const document = (await this.redemptions.get(id))!;
    return { id: document._id, status: document.status };
  }
}

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

export function ordersRouter(deps: AppDeps, routes: RouteBook): Router {
  const router = Router();
  const desk = new OrderDesk(deps);
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
      body: orderSchema,
      responses: {
        200: { description: 'Captured', schema: orderAnswerSchema },
        404: error('A coupon is unknown'),
        409: error('A coupon was already used by another order'),
        422: error('A coupon is expired, cancelled, or not usable for this order'),
      },
    },
    async ({ body }, _req, res) => {
      const documents = await desk.redemptionsOfCoupons(body.coupon_codes ?? [body.coupon_code!]);
      const redemptions = await desk.capture(documents, orderCaptureOf(body));
      res.json({ order_id: body.order_id, redemptions });
    },
  );

  routes.add(
    router,
    '/v1',
    {
      method: 'post',
      path: '/v1/orders/{order_id}/cancel',
      summary: 'The order was cancelled: refund the points it captured',
      tag: 'Orders',
      auth: 'api-key',
      params: z.object({ order_id: text }),
      responses: {
        200: { description: 'Refunded', schema: orderAnswerSchema },
        404: error('No redemption was used by that order'),
        422: error('Past the refund window'),
      },
    },
    async ({ params }, _req, res) => {
      res.json({ order_id: params.order_id, redemptions: await desk.cancelOrder(params.order_id) });
    },
  );

  return router;
}
