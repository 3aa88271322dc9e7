/**
 * Orders that use a completed redemption's coupon after its own workflow ended: an order with several coupons holds
 * it while it claims the others, lets go of it, or captures it, which records the order (its points are paid).
 */
import type { OrderCapture, RedemptionOutcome } from '../../domain/redemption';
import { refuseUnusableCoupon } from '../refusals';
import { store } from '../store-steps';
import { loaded, outcomeOf, showState, type OrdersRun } from './run';

async function usable(run: OrdersRun, capture: OrderCapture) {
  const current = await loaded(run);
  const use = refuseUnusableCoupon({ ...current, claimedBy: run.claim.holder }, current.option, capture);
  return { current, use };
}

export async function claimForOrder(run: OrdersRun, capture: OrderCapture): Promise<RedemptionOutcome> {
  const { current, use } = await usable(run, capture);
  if (!use.sameOrder) run.claim.take(capture.order_id);
  return outcomeOf(run, current);
}

export async function releaseClaim(run: OrdersRun, orderId: string): Promise<RedemptionOutcome> {
  run.claim.letGo(orderId);
  return outcomeOf(run, await loaded(run));
}

export async function captureOrder(run: OrdersRun, capture: OrderCapture): Promise<RedemptionOutcome> {
  const { current, use } = await usable(run, capture);
  run.claim.letGo(capture.order_id);
  if (!use.sameOrder) {
    // Only a completed redemption gets here without an order: its points are paid, the order claims the coupon.
    await store(`Record order ${capture.order_id}`).recordOrder({
      redemptionId: run.redemptionId,
      orderId: capture.order_id,
      ...(capture.subtotal !== undefined ? { orderSubtotal: capture.subtotal } : {}),
    });
    current.order_id = capture.order_id;
    showState(current);
  }
  return outcomeOf(run, current);
}
