/** Check Reward / Redeem Reward webhooks from POS partners (Flavours, RETM, Bonat, Loyapro): seeds 000 and 001. */
import { Router } from 'express';
import { z } from 'zod';
import { normalizeCouponCode } from '../../domain/coupon';
import { PARTNERS, type PartnerDefinition } from '../../domain/partners';
import { plainText, requiredText } from '../../domain/text';
import type { AppDeps } from '../app';
import { ApiError } from '../errors';
import type { Application } from '../../application';
import { orderCaptureOf } from '../orders';
import { emptyAnswerSchema, errorSchema, type RouteBook } from '../routes';
import { authenticatePartner } from './partner-auth';

/** The seeds' body, spelled as real senders spell it (`business_refrence`); extra fields are ignored. */
export const rewardWebhookSchema = z
  .looseObject({
    reward_code: requiredText(100),
    business_refrence: plainText(200),
    branch_id: plainText(200),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'must be yyyy-MM-dd HH:mm:ss'),
    timestamp: plainText(50),
  })
  .meta({ id: 'RewardWebhook' });
type RewardWebhook = z.output<typeof rewardWebhookSchema>;

const POS_PARTNER_NAMES = Object.values(PARTNERS)
  .filter((partner) => partner.posWebhooks)
  .map((partner) => partner.name);
/** Any other name is answered 404 before the body is read. */
const partnerParams = z.object({ partner: z.string().meta({ enum: POS_PARTNER_NAMES }) });

/**
 * The POS names no order; its redeem call is the order, identified by the partner and the coupon in its canonical
 * spelling (so a replay spelled differently is the same order). The business is always compared: an empty one is
 * no business, which a coupon limited to one business does not accept.
 */
function posOrderOf(partner: PartnerDefinition, body: RewardWebhook) {
  const coupon = normalizeCouponCode(body.reward_code) ?? body.reward_code.toUpperCase();
  return orderCaptureOf(
    {
      order_id: `${partner.name}:${coupon}`,
      ...(body.branch_id ? { branch_id: body.branch_id } : {}),
      business_ref: body.business_refrence,
    },
    partner.name,
  );
}

export function posWebhooksRouter(deps: AppDeps, { orders: desk }: Application, routes: RouteBook): Router {
  const router = Router();
  router.use(
    '/webhooks/:partner',
    authenticatePartner(deps.config, (partner) => partner.posWebhooks),
  );

  const responses = (what: string) => ({
    200: { description: what, schema: emptyAnswerSchema },
    404: { description: 'Unknown partner, or a coupon we did not issue', schema: errorSchema },
    409: { description: 'The coupon was already used', schema: errorSchema },
    422: { description: 'Expired, cancelled, or not for this business or branch', schema: errorSchema },
  });

  routes.add(
    router,
    '',
    {
      method: 'post',
      path: '/webhooks/{partner}/check_reward',
      summary: 'A POS asks whether a coupon is live for this business and branch',
      tag: 'Partner webhooks',
      auth: 'partner',
      params: partnerParams,
      body: rewardWebhookSchema,
      responses: responses('The coupon is live here'),
    },
    async ({ body }, _req, res) => {
      const partner = res.locals.partner as PartnerDefinition;
      const [redemption] = await desk.redemptionsOfCoupons([body.reward_code]);
      if (redemption!.order_id !== null) {
        throw ApiError.conflict('coupon_already_used', 'This coupon was already used.');
      }
      await desk.checkCapture([redemption!], posOrderOf(partner, body));
      res.json({});
    },
  );

  routes.add(
    router,
    '',
    {
      method: 'post',
      path: '/webhooks/{partner}/redeem_reward',
      summary: 'A POS redeems a coupon: its redemption is captured like an order (the same call again changes nothing)',
      tag: 'Partner webhooks',
      auth: 'partner',
      params: partnerParams,
      body: rewardWebhookSchema,
      responses: responses('Captured'),
    },
    async ({ body }, _req, res) => {
      const partner = res.locals.partner as PartnerDefinition;
      const redemptions = await desk.redemptionsOfCoupons([body.reward_code]);
      await desk.capture(redemptions, posOrderOf(partner, body));
      res.json({});
    },
  );
  return router;
}
