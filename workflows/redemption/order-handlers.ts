/**
 * The orders that use the redemption's coupon while its workflow runs (workflows/messages.ts says what each update
 * means). Each validator refuses before anything enters the history; each handler answers with the outcome.
 */
import { condition } from '@temporalio/workflow';
import { orderCancellationProblem } from '../../domain/partial-refund';
import type { OrderCancellation, OrderCapture, RedemptionOutcome } from '../../domain/redemption';
import { isDecided, isFinal } from '../../domain/states';
import { refuse, refuseAnotherOrder, refuseUnusableCoupon } from '../refusals';
import { store } from '../store-steps';
import { clientOf, subtotalOf } from './points';
import { couponState, handledWhenDecided, showProgress, type RedemptionRun } from './run';

/**
 * Refuses an order that cannot use the coupon. Until the redemption is decided, its coupon may still become usable:
 * the store can already say it is completed while this workflow has yet to record the steps that made it so (their
 * workflow task was lost, and is run again), so the handler judges the order once the redemption is decided.
 */
export function refuseUnusable(run: RedemptionRun, capture: OrderCapture): void {
  if (isDecided(run.outcome.status)) judgeUse(run, capture);
}

function judgeUse(run: RedemptionRun, capture: OrderCapture): void {
  refuseUnusableCoupon(couponState(run), run.option, capture);
}

/** Answers once fulfilment is settled; the same order again changes nothing. */
export function captureOrder(run: RedemptionRun, capture: OrderCapture): Promise<RedemptionOutcome> {
  // Only an order accepted before the decision waits for it: the others go on at once, as they always have.
  return handledWhenDecided(
    run,
    () => judgeUse(run, capture),
    () => captureDecided(run, capture),
  );
}

async function captureDecided(run: RedemptionRun, capture: OrderCapture): Promise<RedemptionOutcome> {
  const { outcome } = run;
  if (outcome.order_id === capture.order_id) {
    await condition(() => outcome.status !== 'awaiting_order' && outcome.status !== 'redeeming');
    return outcome;
  }
  outcome.order_id = capture.order_id;
  run.claim.letGo(capture.order_id);
  if (outcome.status === 'completed') {
    // An immediate redemption's points are already paid: the order only claims the coupon.
    await store(`Record order ${capture.order_id}`).recordOrder({
      redemptionId: run.id,
      orderId: capture.order_id,
      ...subtotalOf(capture),
      ...clientOf(capture),
    });
    showProgress(run);
    return outcome;
  }
  run.order = capture;
  await condition(() => outcome.status !== 'awaiting_order' && outcome.status !== 'redeeming');
  return outcome;
}

export function claimForOrder(
  run: RedemptionRun,
  capture: OrderCapture,
): RedemptionOutcome | Promise<RedemptionOutcome> {
  return handledWhenDecided(
    run,
    () => judgeUse(run, capture),
    () => claimDecided(run, capture),
  );
}

function claimDecided(run: RedemptionRun, capture: OrderCapture): RedemptionOutcome {
  if (run.outcome.order_id !== capture.order_id) run.claim.take(capture.order_id);
  return run.outcome;
}

export function releaseClaim(run: RedemptionRun, orderId: string): RedemptionOutcome {
  run.claim.letGo(orderId);
  return run.outcome;
}

/**
 * The whole order was cancelled: refunded once the redemption has settled (workflows/redemption/settlement.ts). A
 * partial cancellation gets here only once the redemption is final, with nothing left to refund.
 */
export async function cancelOrder(
  run: RedemptionRun,
  { cancellation_id, client }: OrderCancellation,
): Promise<RedemptionOutcome> {
  if (cancellation_id !== undefined) return { ...run.outcome, cancellation_refund: 0 };
  if (!run.orderCancelRequested) run.orderCancelledBy = client;
  run.orderCancelRequested = true;
  await condition(() => isFinal(run.outcome.status));
  return run.outcome;
}

export function refuseOrderCancellation(run: RedemptionRun, cancellation: OrderCancellation): void {
  const problem = orderCancellationProblem(cancellation);
  if (problem) refuse('invalid_order_cancellation', problem);
  const { outcome } = run;
  if (outcome.order_id !== cancellation.order_id) refuseAnotherOrder();
  // Part of an order is refunded by the redemption's orders workflow, once this one has ended with it.
  if (cancellation.cancellation_id !== undefined && !isFinal(outcome.status)) {
    refuse(
      'order_not_settled',
      `The reward of this order is ${outcome.status}, not settled yet; cancel part of the order once it has completed, or cancel the whole order.`,
    );
  }
}
