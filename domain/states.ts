export const REDEMPTION_STATUSES = [
  'pending',
  'rejected',
  'awaiting_order',
  'redeeming',
  'completed',
  'expired',
  'cancelled',
  'compensated',
  'refunded',
  'needs_review',
] as const;
export type RedemptionStatus = (typeof REDEMPTION_STATUSES)[number];

/**
 * Statuses at which Create Redemption has its answer: everything but the two in-flight ones. A redemption in
 * needs_review is answered as such: only an operator settles it, which can take a while.
 */
export function isDecided(status: RedemptionStatus): boolean {
  return status !== 'pending' && status !== 'redeeming';
}

/** Statuses after which nothing else can happen to the redemption's points. */
export function isFinal(status: RedemptionStatus): boolean {
  return ['rejected', 'expired', 'cancelled', 'compensated', 'refunded'].includes(status);
}

/**
 * Statuses a redemption waits in (for its order, its partner, an operator): the gauges count them, and any status
 * added later that is not final is counted by itself.
 */
export const WAITING_STATUSES: readonly RedemptionStatus[] = REDEMPTION_STATUSES.filter(
  (status) => !isFinal(status) && status !== 'completed',
);

export const REJECTION_REASONS = [
  'member_not_found',
  'option_not_found',
  'option_inactive',
  'insufficient_points',
  'branch_not_allowed',
  'business_not_allowed',
  'min_subtotal_not_met',
  'currency_not_supported',
  'points_required',
  'invalid_points',
  'member_limit_reached',
  'out_of_stock',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Why an order cannot use a coupon (answered 422, or 409 for a coupon another order already used). */
export const ORDER_REFUSALS = [
  'coupon_expired',
  'coupon_cancelled',
  'coupon_void',
  'coupon_already_used',
  'branch_not_allowed',
  'business_not_allowed',
  'min_subtotal_not_met',
  'currency_not_supported',
] as const;
export type OrderRefusal = (typeof ORDER_REFUSALS)[number];
