/**
 * What a caller or an operator asks of a redemption while its workflow runs: cancel one waiting for its order, release
 * a hold now, refund a completed one, resolve one in needs_review (workflows/messages.ts). Operators' actions are
 * audited with who acted and why.
 */
import { condition } from '@temporalio/workflow';
import { operatorInputProblem, type OperatorNote } from '../../domain/operator-actions';
import type { CancelRequest, RedemptionOutcome } from '../../domain/redemption';
import { reviewResolutionProblem, type ReviewResolution } from '../../domain/review';
import { isDecided } from '../../domain/states';
import { refuse, refuseRefund } from '../refusals';
import { store } from '../store-steps';
import { decided, handledWhenDecided, type RedemptionRun } from './run';

/**
 * Create Redemption's answer: the outcome once the redemption is decided, with the redemption as the step that decided
 * it stored it, so that the API answers without reading it back. Without it (a decision that shows none, a repeated
 * step, a workflow from before), the API reads the store.
 */
export async function decision(run: RedemptionRun): Promise<RedemptionOutcome> {
  await condition(() => isDecided(run.outcome.status));
  return decided(run);
}

export function refuseAnotherRequest(run: RedemptionRun, { requestHash }: { requestHash: string }): void {
  if (requestHash !== run.input.requestHash) {
    refuse('idempotency_key_reused', 'This Idempotency-Key was already used with a different request body.');
  }
}

export function cancelRedemption(run: RedemptionRun, request: CancelRequest = {}): Promise<RedemptionOutcome> {
  return handledWhenDecided(
    run,
    () => judgeCancellation(run),
    () => cancelDecided(run, request),
  );
}

async function cancelDecided(run: RedemptionRun, { client }: CancelRequest): Promise<RedemptionOutcome> {
  if (!run.cancelRequested) run.cancelledBy = client;
  run.cancelRequested = true;
  await condition(() => run.outcome.status !== 'awaiting_order');
  return run.outcome;
}

/** Until the redemption is decided, a cancel is let in and judged once it is (see onceDecided). */
export function refuseCancellation(run: RedemptionRun): void {
  if (isDecided(run.outcome.status)) judgeCancellation(run);
}

function judgeCancellation(run: RedemptionRun): void {
  const { status } = run.outcome;
  if (status === 'cancelled') return;
  if (run.claim.holder !== null) {
    refuse('redemption_not_cancellable', 'An order is using this coupon; it cannot be cancelled now.');
  }
  if (status !== 'awaiting_order' || run.order !== undefined) {
    refuse(
      'redemption_not_cancellable',
      `Only a redemption awaiting its order can be cancelled; this one is ${status}.`,
    );
  }
}

export async function resolveReview(run: RedemptionRun, resolution: ReviewResolution): Promise<RedemptionOutcome> {
  run.review = resolution;
  await condition(() => run.outcome.status !== 'needs_review');
  return run.outcome;
}

export function refuseReviewResolution(run: RedemptionRun, resolution: ReviewResolution): void {
  const { review } = run;
  if (run.outcome.status !== 'needs_review' || review !== undefined) {
    refuse(
      'redemption_not_in_review',
      review
        ? `This redemption is already being resolved as ${review.outcome}.`
        : `Only a redemption in needs_review can be resolved; this one is ${run.outcome.status}.`,
    );
  }
  const problem = reviewResolutionProblem(resolution);
  if (problem) refuse('invalid_review_resolution', problem);
}

export function releaseHold(run: RedemptionRun, note: OperatorNote): Promise<RedemptionOutcome> {
  return handledWhenDecided(
    run,
    () => judgeRelease(run),
    () => releaseDecided(run, note),
  );
}

async function releaseDecided(run: RedemptionRun, note: OperatorNote): Promise<RedemptionOutcome> {
  run.cancelRequested = true;
  await store('Record the operator release').recordOperatorAction({ redemptionId: run.id, action: 'release', note });
  await condition(() => run.outcome.status !== 'awaiting_order');
  return run.outcome;
}

export function refuseRelease(run: RedemptionRun, note: OperatorNote): void {
  const problem = operatorInputProblem(note);
  if (problem) refuse('invalid_operator_action', problem);
  if (isDecided(run.outcome.status)) judgeRelease(run);
}

function judgeRelease(run: RedemptionRun): void {
  const { status } = run.outcome;
  if (status !== 'awaiting_order' || run.order !== undefined || run.claim.holder !== null || run.cancelRequested) {
    refuse(
      'redemption_not_releasable',
      `Only a hold that no order is using can be released; this redemption is ${status}.`,
    );
  }
}

/** The refund itself runs in the saga once the redemption has settled (workflows/redemption/settlement.ts). */
export async function refundRedemption(run: RedemptionRun, note: OperatorNote): Promise<RedemptionOutcome> {
  run.operatorRefund = note;
  await condition(() => run.outcome.status === 'refunded');
  return run.outcome;
}

export function refuseRefundOf(run: RedemptionRun, note: OperatorNote): void {
  const problem = operatorInputProblem(note, { reasonRequired: true });
  if (problem) refuse('invalid_operator_action', problem);
  if (run.outcome.status !== 'completed' || run.operatorRefund !== undefined || run.orderCancelRequested) {
    refuseRefund(run.outcome.status);
  }
}
