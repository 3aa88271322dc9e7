/**
 * The redemption workflow's update validators, driven alone on a run state: what they refuse decides what enters a
 * workflow's history, so each refusal is checked here without a worker.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { RedemptionInput } from '../../domain/redemption';
import type { RedemptionStatus } from '../../domain/states';
import {
  refuseCancellation,
  refuseRefundOf,
  refuseRelease,
  refuseReviewResolution,
} from '../../workflows/redemption/operator-handlers';
import { refuseOrderCancellation, refuseUnusable } from '../../workflows/redemption/order-handlers';
import { newRun, type RedemptionRun } from '../../workflows/redemption/run';

function runOf(status: RedemptionStatus, changes: Partial<RedemptionRun> = {}): RedemptionRun {
  const run = newRun({ redemptionId: 'rdm_1' } as RedemptionInput);
  run.outcome.status = status;
  return Object.assign(run, changes);
}

/** The refusal's code, or undefined when the validator lets the update in. */
function refusalOf(validate: () => void): string | undefined {
  try {
    validate();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return (error as ApplicationFailure).type ?? undefined;
  }
}

describe('redemption update validators', () => {
  it('lets an order use a waiting coupon, and refuses another order while one holds it', () => {
    const run = runOf('awaiting_order');
    expect(refusalOf(() => refuseUnusable(run, { order_id: 'o-1' }))).toBeUndefined();
    run.claim.take('o-1');
    expect(refusalOf(() => refuseUnusable(run, { order_id: 'o-2' }))).toBe('coupon_already_used');
    expect(refusalOf(() => refuseUnusable(run, { order_id: 'o-1' }))).toBeUndefined();
    run.claim.letGo('o-1');
    expect(refusalOf(() => refuseUnusable(run, { order_id: 'o-2' }))).toBeUndefined();
  });

  it('lets an order in while the redemption is undecided (its handler judges it once decided), and refuses one after', () => {
    expect(refusalOf(() => refuseUnusable(runOf('pending'), { order_id: 'o-1' }))).toBeUndefined();
    expect(refusalOf(() => refuseUnusable(runOf('redeeming'), { order_id: 'o-1' }))).toBeUndefined();
    expect(refusalOf(() => refuseUnusable(runOf('compensated'), { order_id: 'o-1' }))).toBe('coupon_void');
    expect(refusalOf(() => refuseUnusable(runOf('expired'), { order_id: 'o-1' }))).toBe('coupon_expired');
  });

  it('refuses to cancel a redemption an order holds or one already captured, and lets a second cancel in', () => {
    const held = runOf('awaiting_order');
    held.claim.take('o-1');
    expect(refusalOf(() => refuseCancellation(held))).toBe('redemption_not_cancellable');
    const captured = runOf('awaiting_order', { order: { order_id: 'o-1' } });
    expect(refusalOf(() => refuseCancellation(captured))).toBe('redemption_not_cancellable');
    expect(refusalOf(() => refuseCancellation(runOf('awaiting_order')))).toBeUndefined();
    expect(refusalOf(() => refuseCancellation(runOf('cancelled')))).toBeUndefined();
    // Undecided, it may yet be awaiting its order: its handler judges it once it is decided.
    expect(refusalOf(() => refuseCancellation(runOf('pending')))).toBeUndefined();
  });

  it('releases a hold once, only with a valid note', () => {
    expect(refusalOf(() => refuseRelease(runOf('awaiting_order'), { reason: 'till offline' }))).toBeUndefined();
    expect(refusalOf(() => refuseRelease(runOf('awaiting_order'), { reason: '' }))).toBe('invalid_operator_action');
    const releasing = runOf('awaiting_order', { cancelRequested: true });
    expect(refusalOf(() => refuseRelease(releasing, {}))).toBe('redemption_not_releasable');
  });

  it('refunds a completed redemption once, with a reason, and not while its order is being cancelled', () => {
    expect(refusalOf(() => refuseRefundOf(runOf('completed'), { reason: 'wrong item' }))).toBeUndefined();
    expect(refusalOf(() => refuseRefundOf(runOf('completed'), {}))).toBe('invalid_operator_action');
    expect(refusalOf(() => refuseRefundOf(runOf('redeeming'), { reason: 'x' }))).toBe('redemption_not_refundable');
    const cancelling = runOf('completed', { orderCancelRequested: true });
    expect(refusalOf(() => refuseRefundOf(cancelling, { reason: 'x' }))).toBe('redemption_not_refundable');
  });

  it('resolves a review once, with a known outcome', () => {
    expect(refusalOf(() => refuseReviewResolution(runOf('needs_review'), { outcome: 'fulfilled' }))).toBeUndefined();
    const resolving = runOf('needs_review', { review: { outcome: 'fulfilled' } });
    expect(refusalOf(() => refuseReviewResolution(resolving, { outcome: 'fulfilled' }))).toBe(
      'redemption_not_in_review',
    );
    const unknown = { outcome: 'maybe' } as unknown as Parameters<typeof refuseReviewResolution>[1];
    expect(refusalOf(() => refuseReviewResolution(runOf('needs_review'), unknown))).toBe('invalid_review_resolution');
  });

  it('takes a cancellation of its own order only, and part of it only once the redemption is final', () => {
    const run = runOf('redeeming');
    run.outcome.order_id = 'o-1';
    expect(refusalOf(() => refuseOrderCancellation(run, { order_id: 'o-2' }))).toBe('order_mismatch');
    expect(refusalOf(() => refuseOrderCancellation(run, { order_id: 'o-1' }))).toBeUndefined();
    const part = { order_id: 'o-1', cancellation_id: 'ocx_aaaaaaaaaaaaaaaaaaaaaaaaaa' };
    expect(refusalOf(() => refuseOrderCancellation(run, part))).toBe('order_not_settled');
  });
});
