import { checkOrderAgainstOption, type OrderContext } from './eligibility';
import type { RedemptionOption } from './options';
import type { RefusalCode } from './failures';
import type { RedemptionStatus } from './states';

export interface CouponState {
  status: RedemptionStatus;
  order_id: string | null;
  cancelRequested?: boolean;
  /** The order holding the coupon while it claims its other coupons, if any. */
  claimedBy?: string | null;
}

/**
 * How long an order with several coupons may hold one while it claims the others. An API process that dies between
 * the claims and the captures leaves holds behind; they lapse after this, and a resent order claims again.
 */
export const ORDER_CLAIM_LEASE_MS = 60_000;

export type CouponUse = { ok: true; sameOrder: boolean } | { ok: false; code: RefusalCode; message: string };

/**
 * Whether an order may use a redemption's coupon now. The same order again is fine (and changes nothing); another
 * order after the first is a conflict; a coupon whose redemption expired, was cancelled or failed is not usable.
 */
export function checkCouponUse(
  state: CouponState,
  option: RedemptionOption | null,
  order: OrderContext & { order_id: string },
): CouponUse {
  if (state.order_id !== null) {
    if (state.order_id === order.order_id) return { ok: true, sameOrder: true };
    return { ok: false, code: 'coupon_already_used', message: 'This coupon was already used by another order.' };
  }
  if (state.claimedBy && state.claimedBy !== order.order_id) {
    return { ok: false, code: 'coupon_already_used', message: 'This coupon is being used by another order.' };
  }
  if (state.status === 'expired') return { ok: false, code: 'coupon_expired', message: 'This coupon has expired.' };
  if (state.status === 'cancelled' || state.cancelRequested) {
    return { ok: false, code: 'coupon_cancelled', message: 'This coupon was cancelled.' };
  }
  if (state.status !== 'awaiting_order' && state.status !== 'completed') {
    return {
      ok: false,
      code: 'coupon_void',
      message: `This coupon cannot be used: its redemption is ${state.status}.`,
    };
  }
  const refusal = option ? checkOrderAgainstOption(option, order) : undefined;
  if (refusal)
    return { ok: false, code: refusal, message: `This order does not meet the reward's conditions: ${refusal}.` };
  return { ok: true, sameOrder: false };
}
