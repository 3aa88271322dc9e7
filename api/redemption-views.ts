import type { Response } from 'express';
import { z } from 'zod';
import { redemptionViewSchema } from '../domain/redemption';
import { REDEMPTION_STATUSES, type RejectionReason } from '../domain/states';
import { answeredWithWholeView, isWholeView, type DecidedRedemption } from '../domain/redemption-view';
import { ApiError } from './errors';

export const redemptionWithEventsSchema = redemptionViewSchema
  .extend({
    events: z.array(
      z.object({
        at: z.string(),
        type: z.string(),
        status: z.enum(REDEMPTION_STATUSES).optional(),
        data: z.record(z.string(), z.unknown()).optional(),
        client: z.string().optional().meta({ description: 'The API client whose request wrote it' }),
      }),
    ),
  })
  .meta({ id: 'RedemptionWithEvents' });

export const redemptionRefSchema = z
  .object({ id: z.string(), status: z.enum(REDEMPTION_STATUSES) })
  .meta({ id: 'RedemptionRef' });

const REJECTION_MESSAGES: Record<RejectionReason, string> = {
  member_not_found: 'No member has that identifier; check the email, phone number, POS account or external id.',
  option_not_found: 'No redemption option has that id.',
  option_inactive: 'That redemption option is not available right now.',
  insufficient_points: 'The member does not have enough available points for this reward.',
  branch_not_allowed: 'This reward cannot be used at that branch.',
  business_not_allowed: 'This reward belongs to another business.',
  min_subtotal_not_met: "The order's subtotal is below this reward's minimum.",
  currency_not_supported: "This reward is not offered in that currency; omit currency to use the option's own.",
  points_required: 'This reward converts points to money: send point_redemptions.',
  invalid_points: 'point_redemptions does not fit this reward: use its cost, or a positive multiple of its unit.',
  member_limit_reached: 'The member has redeemed this reward as often as its limit allows for now.',
  out_of_stock: 'This reward is out of stock.',
};

/** Create Redemption's answer for a redemption in each state (SPEC §3). */
export function answerCreateRedemption(res: Response, redemption: DecidedRedemption): void {
  const { id, status } = redemption;
  if (status === 'rejected') {
    const reason = redemption.reason ?? 'option_not_found';
    throw new ApiError(422, reason, `${REJECTION_MESSAGES[reason]} (redemption ${id})`);
  }
  if (status === 'compensated') {
    throw new ApiError(
      502,
      'partner_redeem_failed',
      `The partner could not fulfil the reward, so the points were returned (redemption ${id}).`,
    );
  }
  // Still on its way (pending, redeeming), or needs_review: the partner's answer never came, and the points stay
  // debited until an operator settles it.
  if (!answeredWithWholeView(status)) {
    res.status(202).json({ id, status });
    return;
  }
  // Every other status is answered with the whole redemption (application/redemptions.ts makes sure it has it).
  if (!isWholeView(redemption)) throw new Error(`Redemption ${id} (${status}) came without its view.`);
  res.status(status === 'completed' || status === 'awaiting_order' ? 201 : 200).json(redemption);
}
