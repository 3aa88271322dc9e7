/**
 * What the redemption workflows refuse a caller, raised from update validators and handlers as non-retryable failures
 * typed by their refusal code (domain/failures.ts), which the application maps back to its Refusal.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { checkCouponUse, type CouponState } from '../domain/coupon-use';
import type { OrderContext } from '../domain/eligibility';
import type { RefusalCode } from '../domain/failures';
import type { RedemptionOption } from '../domain/options';
import type { RedemptionStatus } from '../domain/states';

export function refuse(code: RefusalCode, message: string): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

/** The order may use the coupon (domain/coupon-use.ts); whether it is the order that already uses it. */
export function refuseUnusableCoupon(
  coupon: CouponState,
  option: RedemptionOption | null,
  order: OrderContext & { order_id: string },
): { sameOrder: boolean } {
  const use = checkCouponUse(coupon, option, order);
  if (!use.ok) refuse(use.code, use.message);
  return use;
}

export function refuseAnotherOrder(): never {
  refuse('order_mismatch', 'This redemption was not used by that order.');
}

export function refuseRefund(status: RedemptionStatus): never {
  refuse('redemption_not_refundable', `Only a completed redemption can be refunded; this one is ${status}.`);
}
