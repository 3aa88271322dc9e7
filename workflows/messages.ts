/** The redemption workflow's updates and query, defined once for the workflow and its callers. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { OrderCapture, RedemptionOutcome } from '../domain/redemption';

/** Waits until Create Redemption has its answer; refuses a different request under the same idempotency key. */
export const awaitDecisionUpdate = defineUpdate<RedemptionOutcome, [{ requestHash: string }]>('awaitDecision');

/** An order uses the coupon: captures held points (delayed) and answers once fulfilment is settled. */
export const captureOrderUpdate = defineUpdate<RedemptionOutcome, [OrderCapture]>('captureOrder');

/** Cancels a redemption still waiting for its order; the hold is released. */
export const cancelRedemptionUpdate = defineUpdate<RedemptionOutcome, []>('cancelRedemption');

/** The order that used the coupon was cancelled: the points go back. */
export const cancelOrderUpdate = defineUpdate<RedemptionOutcome, [{ order_id: string }]>('cancelOrder');

export const redemptionStatusQuery = defineQuery<RedemptionOutcome>('redemptionStatus');
