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

/** Whether a member may redeem an option now, checked in the order a person would explain a refusal. */
export function checkEligibility(input: EligibilityInput): Eligibility {
  if (!input.memberFound) return { ok: false, reason: 'member_not_found' };
  const option = input.option;
  if (!option) return { ok: false, reason: 'option_not_found' };
  if (!isOptionLive(option, input.now)) return { ok: false, reason: 'option_inactive' };
  const currency = input.currency ?? option.currency;
  if (currency !== option.currency) return { ok: false, reason: 'currency_not_supported' };
  const points = pointsForRedemption(option, input.pointRedemptions);
  if (!points.ok) return points;
  if (input.order) {
    const refusal = checkOrderAgainstOption(option, input.order);
    if (refusal) return { ok: false, reason: refusal };
  }
  if (input.availablePoints < points.points) return { ok: false, reason: 'insufficient_points' };
  return { ok: true, points: points.points, currency };
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
