/** The workflows' updates, signals and queries, defined once for the workflows and their callers. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelRequest, OrderCancellation, OrderCapture, RedemptionOutcome } from '../domain/redemption';
import type { OperatorNote } from '../domain/operator-actions';
import type { ReviewResolution } from '../domain/review';

/** Waits until Create Redemption has its answer; refuses a different request under the same idempotency key. */
export const awaitDecisionUpdate = defineUpdate<RedemptionOutcome, [{ requestHash: string }]>('awaitDecision');

/** An order uses the coupon: captures held points (delayed) and answers once fulfilment is settled. */
export const captureOrderUpdate = defineUpdate<RedemptionOutcome, [OrderCapture]>('captureOrder');

/**
 * An order with several coupons holds each of them before it captures any, so that it captures all or none: while
 * held (ORDER_CLAIM_LEASE_MS at most) no other order can use the coupon, it cannot be cancelled, and it does not
 * expire for the holding order.
 */
export const claimForOrderUpdate = defineUpdate<RedemptionOutcome, [OrderCapture]>('claimForOrder');

/** The order lets go of a coupon it held, because another of its coupons was refused. */
export const releaseClaimUpdate = defineUpdate<RedemptionOutcome, [{ order_id: string }]>('releaseClaim');

/** Cancels a redemption still waiting for its order; the hold is released. The Temporal UI may send no argument. */
export const cancelRedemptionUpdate = defineUpdate<RedemptionOutcome, [CancelRequest]>('cancelRedemption');

/**
 * The order that used the coupon was cancelled: the points go back. With a `cancellation_id`, part of the order was
 * cancelled (see domain/partial-refund.ts): `amount` of its subtotal, or, without one, the item this reward covers. A
 * partial cancellation applies to a settled redemption only, once, and answers with what it refunded.
 */
export const cancelOrderUpdate = defineUpdate<RedemptionOutcome, [OrderCancellation]>('cancelOrder');

/**
 * An operator settles a redemption in needs_review: `fulfilled` completes it and keeps the points debited,
 * `not_fulfilled` compensates it (coupon void, points refunded). Refused unless the redemption is in needs_review.
 */
export const resolveReviewUpdate = defineUpdate<RedemptionOutcome, [ReviewResolution]>('resolveReview');

/** An operator releases the hold of a redemption awaiting its order now: it ends cancelled, its points free. */
export const releaseHoldUpdate = defineUpdate<RedemptionOutcome, [OperatorNote]>('releaseHold');

/** An operator refunds a completed redemption's points, with a reason; any time, unlike an order cancellation. */
export const refundRedemptionUpdate = defineUpdate<RedemptionOutcome, [OperatorNote]>('refundRedemption');

export const redemptionStatusQuery = defineQuery<RedemptionOutcome>('redemptionStatus');

/** A Deliverect notification recorded in the inbox, named by its id there: its body stays in the store. */
export interface DeliverectNotificationRef {
  id: string;
  kind: 'order' | 'cancel';
}

/** Hands a recorded notification to its order's workflow (workflows/deliverect-order.ts), starting it if need be. */
export const deliverectNotificationSignal = defineSignal<[DeliverectNotificationRef]>('deliverectNotification');
