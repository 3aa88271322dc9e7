/**
 * One redemption, start to finish: eligibility, points (debited now, or held until the order), coupon, partner
 * fulfilment, and compensation when fulfilment fails for good. It ends when the redemption does; later order events
 * (a completed redemption's coupon used by an order, that order cancelled) go through redemption-orders.ts.
 *
 * Store steps are local activities, each one write to the redemption together with its audit events; only the partner
 * call is a normal activity. Each state change is one search-attribute upsert carrying everything that changed.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import { ORDER_CLAIM_LEASE_MS, checkCouponUse } from '../domain/coupon-use';
import { checkEligibility } from '../domain/eligibility';
import { FailureType } from '../domain/failures';
import type { RedemptionOption } from '../domain/options';
import type { OrderCapture, RedemptionInput, RedemptionOutcome } from '../domain/redemption';
import { redemptionCurrentDetails, type RedemptionProgress } from '../domain/redemption-summary';
import type { RefusalCode } from '../domain/refusals';
import { CouponCodeKey, MemberIdKey, OptionIdKey, PartnerKey, RedemptionStatusKey } from '../domain/search-attributes';
import { isDecided, isFinal, type RedemptionStatus, type RejectionReason } from '../domain/states';
import {
  awaitDecisionUpdate,
  cancelOrderUpdate,
  cancelRedemptionUpdate,
  captureOrderUpdate,
  claimForOrderUpdate,
  redemptionStatusQuery,
  releaseClaimUpdate,
} from './messages';
import { STORE_STEP_OPTIONS } from './store-steps';

/** A store step, named in the Temporal UI by its summary. */
const store = (summary: string) => proxyLocalActivities<Activities>({ ...STORE_STEP_OPTIONS, summary });

function refuse(code: RefusalCode, message: string): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

/** A normal activity's failure reaches the workflow wrapped in an ActivityFailure; a local activity's, as thrown. */
function isFailureOfType(error: unknown, type: string): boolean {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof ApplicationFailure && failure.type === type;
}

export async function redemptionWorkflow(input: RedemptionInput): Promise<RedemptionOutcome> {
  const { redemptionId: id, request, settings } = input;
  const outcome: RedemptionOutcome = {
    id,
    status: 'pending',
    reason: null,
    coupon_code: null,
    order_id: input.order?.order_id ?? null,
  };
  let option: RedemptionOption | null = null;
  let order: OrderCapture | undefined = input.order;
  let cancelRequested = false;
  let orderCancelRequested = false;
  /** An order holding the coupon while it claims its other coupons (see claimForOrderUpdate). */
  let claim: { order_id: string; until: number } | undefined;
  const claimedBy = () => (claim && Date.now() < claim.until ? claim.order_id : null);
  const couponState = () => ({ ...outcome, cancelRequested, claimedBy: claimedBy() });

  /** Waits while an order holds the coupon, until `done`, the order lets go, or the hold lapses. */
  async function whileClaimed(done: () => boolean): Promise<void> {
    while (!done() && claim && claimedBy() !== null) {
      await condition(() => done() || claim === undefined, claim.until - Date.now(), {
        summary: `Order ${claim.order_id} holds the coupon until it captures or lets go`,
      });
    }
    if (!done()) claim = undefined;
  }

  // Fulfilment retries with backoff until the configured deadline; a 4xx that retrying cannot fix stops it at once.
  const fulfilment = (summary: string) =>
    proxyActivities<Activities>({
      summary,
      startToCloseTimeout: settings.partnerAttemptTimeoutMs + 5_000,
      scheduleToCloseTimeout: settings.partnerDeadlineMs,
      retry: {
        initialInterval: '500ms',
        backoffCoefficient: 2,
        maximumInterval: Math.max(1_000, Math.min(10_000, settings.partnerDeadlineMs / 4)),
        nonRetryableErrorTypes: [FailureType.PartnerRejected],
      },
    });

  /** Numbers the status-changing steps, so that the store never applies an older step over a newer one. */
  let version = 0;
  const nextVersion = () => ++version;

  /** What the workflow's current details in the Temporal UI tell, beyond the outcome. */
  const progress: Omit<RedemptionProgress, 'status' | 'reason' | 'orderId'> = {};
  const showProgress = () =>
    setCurrentDetails(
      redemptionCurrentDetails({
        ...progress,
        status: outcome.status,
        reason: outcome.reason,
        orderId: outcome.order_id,
      }),
    );
  showProgress();

  function statusChanged(status: RedemptionStatus, attributes: SearchAttributeUpdatePair[] = []) {
    outcome.status = status;
    upsertSearchAttributes([{ key: RedemptionStatusKey, value: status }, ...attributes]);
    showProgress();
  }

  async function reject(reason: RejectionReason, memberId: string | null, attributes: SearchAttributeUpdatePair[]) {
    await store(`Reject: ${reason}`).rejectRedemption({ redemptionId: id, version: nextVersion(), reason, memberId });
    outcome.reason = reason;
    statusChanged('rejected', attributes);
    return finish();
  }

  async function finish(): Promise<RedemptionOutcome> {
    await condition(allHandlersFinished);
    return outcome;
  }

  setHandler(redemptionStatusQuery, () => outcome);

  setHandler(
    awaitDecisionUpdate,
    async () => {
      await condition(() => isDecided(outcome.status));
      return outcome;
    },
    {
      validator: ({ requestHash }) => {
        if (requestHash !== input.requestHash) {
          refuse('idempotency_key_reused', 'This Idempotency-Key was already used with a different request body.');
        }
      },
    },
  );

  setHandler(
    captureOrderUpdate,
    async (capture) => {
      if (outcome.order_id === capture.order_id) {
        await condition(() => outcome.status !== 'awaiting_order' && outcome.status !== 'redeeming');
        return outcome;
      }
      outcome.order_id = capture.order_id;
      if (claim?.order_id === capture.order_id) claim = undefined;
      if (outcome.status === 'completed') {
        // An immediate redemption's points are already paid: the order only claims the coupon.
        await store(`Record order ${capture.order_id}`).recordOrder({ redemptionId: id, orderId: capture.order_id });
        showProgress();
        return outcome;
      }
      order = capture;
      await condition(() => outcome.status !== 'awaiting_order' && outcome.status !== 'redeeming');
      return outcome;
    },
    {
      validator: (capture) => {
        const use = checkCouponUse(couponState(), option, capture);
        if (!use.ok) refuse(use.code, use.message);
      },
    },
  );

  setHandler(
    claimForOrderUpdate,
    (capture) => {
      if (outcome.order_id !== capture.order_id) {
        claim = { order_id: capture.order_id, until: Date.now() + ORDER_CLAIM_LEASE_MS };
      }
      return outcome;
    },
    {
      validator: (capture) => {
        const use = checkCouponUse(couponState(), option, capture);
        if (!use.ok) refuse(use.code, use.message);
      },
    },
  );

  setHandler(releaseClaimUpdate, ({ order_id }) => {
    if (claim?.order_id === order_id) claim = undefined;
    return outcome;
  });

  setHandler(
    cancelRedemptionUpdate,
    async () => {
      cancelRequested = true;
      await condition(() => outcome.status !== 'awaiting_order');
      return outcome;
    },
    {
      validator: () => {
        if (outcome.status === 'cancelled') return;
        if (claimedBy() !== null) {
          refuse('redemption_not_cancellable', 'An order is using this coupon; it cannot be cancelled now.');
        }
        if (outcome.status !== 'awaiting_order' || order !== undefined) {
          refuse(
            'redemption_not_cancellable',
            `Only a redemption awaiting its order can be cancelled; this one is ${outcome.status}.`,
          );
        }
      },
    },
  );

  setHandler(
    cancelOrderUpdate,
    async () => {
      orderCancelRequested = true;
      await condition(() => isFinal(outcome.status));
      return outcome;
    },
    {
      validator: ({ order_id }) => {
        if (outcome.order_id !== order_id) refuse('order_mismatch', 'This redemption was not used by that order.');
      },
    },
  );

  // An operator's Cancel (in the Temporal UI) stops a redemption that waits for its order: the hold is released and
  // the workflow ends Canceled. Every step runs shielded from cancellation, so a cancel never leaves points held or
  // debited behind, and a redemption already being fulfilled finishes first, as its partner's answer decides.
  let cancelledByOperator: CancelledFailure | undefined;
  CancellationScope.current().cancelRequested.catch((failure: unknown) => {
    if (failure instanceof CancelledFailure) cancelledByOperator = failure;
  });
  const result = await CancellationScope.nonCancellable(async () => {
    const context = await store('Load member, option and balance').beginRedemption({
      redemptionId: id,
      requestHash: input.requestHash,
      request,
    });
    option = context.option;
    const { memberId } = context;
    const eligibility = checkEligibility({
      memberFound: memberId !== null,
      option,
      currency: request.currency,
      pointRedemptions: request.point_redemptions,
      availablePoints: context.availablePoints,
      now: new Date(),
      order: input.order,
    });
    const found: SearchAttributeUpdatePair[] = [
      { key: OptionIdKey, value: request.redemption_option_id },
      ...(memberId ? [{ key: MemberIdKey, value: memberId }] : []),
    ];
    if (!eligibility.ok) return reject(eligibility.reason, memberId, found);

    const rewardPartner = option!.partner;
    const delayed = request.delay_points_deduction;
    const ttlSeconds = option!.coupon_ttl_seconds ?? settings.couponTtlSeconds;
    const pointsOfRedemption = { redemptionId: id, memberId: memberId!, points: eligibility.points };
    progress.points = eligibility.points;
    progress.partner = rewardPartner;
    const expiresAt = delayed ? new Date(Date.now() + ttlSeconds * 1000).toISOString() : undefined;
    progress.expiresAt = expiresAt;

    let couponCode: string;
    try {
      couponCode = await store(
        `${delayed ? 'Hold' : 'Debit'} ${eligibility.points} points and issue the coupon`,
      ).reservePoints({
        ...pointsOfRedemption,
        version: nextVersion(),
        delayed,
        changes: {
          currency: eligibility.currency,
          partner: rewardPartner,
          ...(expiresAt ? { expires_at: expiresAt } : {}),
          ...(!delayed && order ? { order_id: order.order_id } : {}),
        },
      });
    } catch (error) {
      if (isFailureOfType(error, FailureType.InsufficientPoints)) return reject('insufficient_points', memberId, found);
      throw error;
    }
    outcome.coupon_code = couponCode;
    statusChanged(delayed ? 'awaiting_order' : 'redeeming', [
      ...found,
      ...(rewardPartner ? [{ key: PartnerKey, value: rewardPartner }] : []),
      { key: CouponCodeKey, value: couponCode },
    ]);

    if (delayed) {
      // An order that arrives together with the deadline still wins: its update was accepted.
      const decided = () => order !== undefined || cancelRequested || cancelledByOperator !== undefined;
      await condition(decided, ttlSeconds * 1000, { summary: `Coupon expires at ${expiresAt}` });
      // A coupon an order held when its time ran out stays usable by that order until the hold lapses.
      await whileClaimed(decided);
      if (order === undefined) {
        const status = cancelRequested || cancelledByOperator ? 'cancelled' : 'expired';
        await store(`Release ${eligibility.points} held points (${status})`).releasePoints({
          ...pointsOfRedemption,
          version: nextVersion(),
          status,
        });
        statusChanged(status);
        return finish();
      }
      await store(`Capture ${eligibility.points} held points for order ${order.order_id}`).capturePoints({
        ...pointsOfRedemption,
        version: nextVersion(),
        orderId: order.order_id,
        sourcePartner: order.source_partner ?? null,
      });
      statusChanged('redeeming');
    }

    // Compensations are registered only after their step succeeded, and run newest first.
    const compensations: { name: string; run: () => Promise<unknown> }[] = [];
    compensations.unshift({
      name: 'refund points',
      run: () => store(`Compensate: refund ${eligibility.points} points`).refundPoints(pointsOfRedemption),
    });
    compensations.unshift({
      name: 'void coupon',
      run: () => store('Compensate: void the coupon').voidCoupon({ redemptionId: id }),
    });

    if (rewardPartner && rewardPartner !== order?.source_partner) {
      try {
        await fulfilment(`Redeem the coupon with ${rewardPartner}`).redeemWithPartner({
          redemptionId: id,
          partner: rewardPartner,
          couponCode,
          businessRef: order?.business_ref ?? option!.business_ref,
          branchId: order?.branch_id ?? '',
          requestedAt: new Date().toISOString(),
          attemptTimeoutMs: settings.partnerAttemptTimeoutMs,
        });
      } catch (error) {
        log.warn('partner fulfilment failed for good; compensating', { redemptionId: id, error: String(error) });
        for (const compensation of compensations) {
          try {
            await compensation.run();
          } catch (undoError) {
            log.error('compensation step failed', {
              redemptionId: id,
              step: compensation.name,
              error: String(undoError),
            });
          }
        }
        const failure = String((error as Error).cause ?? error);
        await store('Mark compensated').markCompensated({ redemptionId: id, version: nextVersion(), failure });
        statusChanged('compensated');
        return finish();
      }
    }
    await store('Mark completed').completeRedemption({ redemptionId: id, version: nextVersion() });
    statusChanged('completed');

    // The workflow ends with the redemption. An order cancelled while it ran is refunded here; one cancelled later goes
    // through the redemption's orders workflow.
    await condition(() => orderCancelRequested || allHandlersFinished());
    await whileClaimed(() => orderCancelRequested || outcome.order_id !== null);
    if (orderCancelRequested) {
      await store(`Refund ${eligibility.points} points: order ${outcome.order_id} cancelled`).refundOrder({
        ...pointsOfRedemption,
        version: nextVersion(),
      });
      statusChanged('refunded');
    }
    return finish();
  });
  if (cancelledByOperator && result.status === 'cancelled') throw cancelledByOperator;
  return result;
}
