/**
 * How a redemption whose points moved settles: completed; in needs_review until an operator says whether the partner
 * fulfilled it; and refunded when its order is cancelled, or an operator refunds it, before the workflow ends.
 */
import { allHandlersFinished, condition, log } from '@temporalio/workflow';
import type { ReviewResolution } from '../../domain/review';
import { store } from '../store-steps';
import { giveSlotsBack, type RedemptionTerms } from './eligibility';
import { clientOf, pointsOf } from './points';
import { nextVersion, statusChanged, type RedemptionRun } from './run';

/** The partner may have fulfilled the reward: the points stay debited until an operator says whether it did. */
export async function awaitReview(run: RedemptionRun, failure: string): Promise<ReviewResolution> {
  log.warn('partner outcome unknown past the reconcile limit; needs review', { redemptionId: run.id });
  await store('Needs review: the partner never answered for sure').markNeedsReview({
    redemptionId: run.id,
    version: nextVersion(run),
    failure,
  });
  statusChanged(run, 'needs_review');
  await condition(() => run.review !== undefined);
  const review = run.review!;
  await store('Record the review resolution').recordReviewResolution({ redemptionId: run.id, resolution: review });
  return review;
}

export async function complete(run: RedemptionRun): Promise<void> {
  run.stored = await store('Mark completed').completeRedemption({ redemptionId: run.id, version: nextVersion(run) });
  statusChanged(run, 'completed');
}

/**
 * The workflow ends with the redemption. An order cancelled while it ran, or an operator's refund sent while it ran, is
 * refunded here; later ones go through the redemption's orders workflow. An order holding the coupon is waited for.
 */
export async function refundIfAsked(run: RedemptionRun, terms: RedemptionTerms): Promise<void> {
  const refundAsked = () => run.orderCancelRequested || run.operatorRefund !== undefined;
  await condition(() => refundAsked() || allHandlersFinished());
  await run.claim.whileHeld(() => refundAsked() || run.outcome.order_id !== null);
  if (run.operatorRefund) {
    await store('Record the operator refund').recordOperatorAction({
      redemptionId: run.id,
      action: 'refund',
      note: run.operatorRefund,
    });
  }
  if (!refundAsked()) return;
  const why = run.operatorRefund ? 'an operator refunded it' : `order ${run.outcome.order_id} cancelled`;
  await store(`Refund ${terms.points} points: ${why}`).refundOrder({
    ...pointsOf(run, terms),
    version: nextVersion(run),
    ...clientOf({ client: run.operatorRefund ? undefined : run.orderCancelledBy }),
  });
  await giveSlotsBack(run, 'refunded');
  statusChanged(run, 'refunded');
}
