import type { RedemptionOption } from './options';
import { pointsForRedemption } from './reward';
import type { OrderRefusal, RejectionReason } from './states';

export interface EligibilityInput {
  memberFound: boolean;
  option: RedemptionOption | null;
  currency: string | undefined;
  pointRedemptions: number | undefined;
  availablePoints: number;
  now: Date;
  /** An order that came with the redemption (a partner's order notification): its rules apply up front. */
  order?: OrderContext;
}

export type Eligibility = { ok: true; points: number; currency: string } | { ok: false; reason: RejectionReason };

export function isOptionLive(option: RedemptionOption, now: Date): boolean {
  if (!option.active) return false;
  if (option.starts_at && now.getTime() < Date.parse(option.starts_at)) return false;
  if (option.ends_at && now.getTime() >= Date.parse(option.ends_at)) return false;
  return true;
}

/** Whether a member may redeem an option now: the first reason, in the order a person would explain a refusal. */
export function checkEligibility(input: EligibilityInput): Eligibility {
  const judged = judgeEligibility(input);
  const [reason] = judged.reasons;
  if (reason !== undefined) return { ok: false, reason };
  return { ok: true, points: judged.points!, currency: judged.currency! };
}

/** What the first step of a redemption found in the store, to judge its request on. */
export interface FoundForRedemption {
  memberId: string | null;
  option: RedemptionOption | null;
  availablePoints: number;
}

/**
 * A redemption's request judged on what its first step found, at `now`: the one judgement both that step (when it
 * moves the points in the same step) and the workflow make.
 */
export function eligibilityOfRequest(
  request: { currency?: string | undefined; point_redemptions?: number | undefined },
  found: FoundForRedemption,
  now: Date,
  order?: OrderContext,
): Eligibility {
  return checkEligibility({
    memberFound: found.memberId !== null,
    option: found.option,
    currency: request.currency,
    pointRedemptions: request.point_redemptions,
    availablePoints: found.availablePoints,
    now,
    ...(order ? { order } : {}),
  });
}

export interface JudgedEligibility {
  /** Every reason the request would be refused for, in the order a person would explain them; none when eligible. */
  reasons: RejectionReason[];
  /** What the redemption costs, when the option and the request say. */
  points?: number;
  currency?: string;
}

/**
 * Every reason to refuse the request that can be judged: an unknown member still has the option judged, and an unknown
 * option or an invalid number of points leaves nothing to judge the balance against.
 */
export function judgeEligibility(input: EligibilityInput): JudgedEligibility {
  const reasons: RejectionReason[] = [];
  if (!input.memberFound) reasons.push('member_not_found');
  const option = input.option;
  if (!option) return { reasons: [...reasons, 'option_not_found'] };
  if (!isOptionLive(option, input.now)) reasons.push('option_inactive');
  const currency = input.currency ?? option.currency;
  if (currency !== option.currency) reasons.push('currency_not_supported');
  const points = pointsForRedemption(option, input.pointRedemptions);
  if (!points.ok) return { reasons: [...reasons, points.reason], currency };
  if (input.order) {
    const refusal = checkOrderAgainstOption(option, input.order);
    if (refusal && !reasons.includes(refusal)) reasons.push(refusal);
  }
  if (input.memberFound && input.availablePoints < points.points) reasons.push('insufficient_points');
  return { reasons, points: points.points, currency };
}

export interface OrderContext {
  branch_id?: string;
  business_ref?: string;
  subtotal?: number;
  currency?: string;
}

/** Whether an order may use a coupon of this option: the where and how-much rules of the reward. */
export function checkOrderAgainstOption(
  option: RedemptionOption,
  order: OrderContext,
): Extract<OrderRefusal, RejectionReason> | undefined {
  if (option.branch_ids.length > 0 && (!order.branch_id || !option.branch_ids.includes(order.branch_id))) {
    return 'branch_not_allowed';
  }
  if (option.business_ref && order.business_ref !== undefined && order.business_ref !== option.business_ref) {
    return 'business_not_allowed';
  }
  if (order.currency !== undefined && order.currency !== option.currency) return 'currency_not_supported';
  if (option.min_subtotal > 0 && (order.subtotal === undefined || order.subtotal < option.min_subtotal)) {
    return 'min_subtotal_not_met';
  }
  return undefined;
}
