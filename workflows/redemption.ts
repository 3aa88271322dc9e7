/**
 * One redemption, start to finish: eligibility, points (debited now, or held until the order), coupon, partner
 * fulfilment, and compensation when fulfilment fails for good. It ends when the redemption does; later order events
 * (a completed redemption's coupon used by an order, that order cancelled) go through redemption-orders.ts.
 *
 * The saga reads top-down below; each step and each update handler is a function of workflows/redemption/, sharing
 * the run's state (run.ts). Store steps are local activities, each one write to the redemption together with its audit
 * events; only the partner call is a normal activity. Each state change is one search-attribute upsert carrying
 * everything that changed.
 */
import { CancellationScope, CancelledFailure, setHandler } from '@temporalio/workflow';
import type { RedemptionInput, RedemptionOutcome } from '../domain/redemption';
import {
  awaitDecisionUpdate,
  cancelOrderUpdate,
  cancelRedemptionUpdate,
  captureOrderUpdate,
  claimForOrderUpdate,
  redemptionStatusQuery,
  refundRedemptionUpdate,
  releaseClaimUpdate,
  releaseHoldUpdate,
  resolveReviewUpdate,
} from './messages';
import { compensate, compensationsOf } from './redemption/compensation';
import { beginsWithPoints, beginWithPoints } from './redemption/begin-with-points';
import {
  checkEligibility,
  giveSlotsBack,
  reject,
  takeLimitSlots,
  type RedemptionTerms,
  type Refused,
} from './redemption/eligibility';
import { fulfil, needsPartner } from './redemption/fulfilment';
import * as operator from './redemption/operator-handlers';
import * as orders from './redemption/order-handlers';
import { captureHeldPoints, releaseHeldPoints, reservePoints, waitForOrder } from './redemption/points';
import { finish, startRun, type RedemptionRun } from './redemption/run';
import { awaitReview, complete, refundIfAsked } from './redemption/settlement';

export async function redemptionWorkflow(input: RedemptionInput): Promise<RedemptionOutcome> {
  const run = startRun(input);
  // Updates that arrive with the start are taken in the order their handlers are set, and recorded histories hold
  // that order: keep it. A handler's own steps (its awaits) also decide where its answer falls among the saga's
  // commands in a workflow task, so each handler here hands back its function's promise as it is.
  setHandler(redemptionStatusQuery, () => run.outcome);
  setHandler(awaitDecisionUpdate, () => operator.decision(run), {
    validator: (request) => operator.refuseAnotherRequest(run, request),
  });
  setHandler(captureOrderUpdate, (capture) => orders.captureOrder(run, capture), {
    validator: (capture) => orders.refuseUnusable(run, capture),
  });
  setHandler(claimForOrderUpdate, (capture) => orders.claimForOrder(run, capture), {
    validator: (capture) => orders.refuseUnusable(run, capture),
  });
  setHandler(releaseClaimUpdate, ({ order_id }) => orders.releaseClaim(run, order_id));
  setHandler(cancelRedemptionUpdate, (request) => operator.cancelRedemption(run, request), {
    validator: (_request) => operator.refuseCancellation(run),
  });
  setHandler(cancelOrderUpdate, (cancellation) => orders.cancelOrder(run, cancellation), {
    validator: (cancellation) => orders.refuseOrderCancellation(run, cancellation),
  });
  setHandler(resolveReviewUpdate, (resolution) => operator.resolveReview(run, resolution), {
    validator: (resolution) => operator.refuseReviewResolution(run, resolution),
  });
  setHandler(releaseHoldUpdate, (note) => operator.releaseHold(run, note), {
    validator: (note) => operator.refuseRelease(run, note),
  });
  setHandler(refundRedemptionUpdate, (note) => operator.refundRedemption(run, note), {
    validator: (note) => operator.refuseRefundOf(run, note),
  });

  // An operator's Cancel (in the Temporal UI) stops a redemption that waits for its order: the hold is released and
  // the workflow ends Canceled. Every step runs shielded from cancellation, so a cancel never leaves points held or
  // debited behind, and a redemption already being fulfilled finishes first, as its partner's answer decides.
  CancellationScope.current().cancelRequested.catch((failure: unknown) => {
    if (failure instanceof CancelledFailure) run.cancelledByOperator = failure;
  });
  const outcome = await CancellationScope.nonCancellable(() => redeem(run));
  if (run.cancelledByOperator && outcome.status === 'cancelled') throw run.cancelledByOperator;
  return outcome;
}

/** The saga. A step that fails for good ends it: rejected before points move, the hold released, or compensated. */
async function redeem(run: RedemptionRun): Promise<RedemptionOutcome> {
  const eligible = await eligibleWithPoints(run);
  if (!eligible.ok) return reject(run, eligible.reason);
  const { terms } = eligible;

  if (terms.delayed) {
    const order = await waitForOrder(run, terms);
    if (order === undefined) return releaseHeldPoints(run, terms);
    await captureHeldPoints(run, terms, order);
  }

  const compensations = compensationsOf(run, terms);
  if (needsPartner(run, terms)) {
    const fulfilment = await fulfil(run, terms);
    if (fulfilment.result === 'failed') return compensate(run, compensations, fulfilment.failure);
    if (fulfilment.result === 'unknown') {
      const review = await awaitReview(run, fulfilment.failure);
      if (review.outcome === 'not_fulfilled') {
        return compensate(
          run,
          compensations,
          `an operator found that the partner did not fulfil it: ${fulfilment.failure}`,
        );
      }
    }
  }

  // Without a partner to call, the step that moved the points completed it (see points.ts).
  if (run.outcome.status !== 'completed') await complete(run);
  await refundIfAsked(run, terms);
  return finish(run);
}

/**
 * Eligibility, a slot in each of the option's limits, and the points debited or held with the coupon issued. A
 * refusal leaves no points moved and no slot taken.
 */
async function eligibleWithPoints(run: RedemptionRun): Promise<{ ok: true; terms: RedemptionTerms } | Refused> {
  if (beginsWithPoints(run)) return beginWithPoints(run);
  const eligibility = await checkEligibility(run);
  if (!eligibility.ok) return eligibility;
  const slots = await takeLimitSlots(run, eligibility.terms);
  if (!slots.ok) return slots;
  if (!(await reservePoints(run, eligibility.terms))) {
    await giveSlotsBack(run, 'rejected');
    return { ok: false, reason: 'insufficient_points' };
  }
  return eligibility;
}
