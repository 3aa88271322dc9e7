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
  TimeoutFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import type { PartnerRedeemInput } from '../activities/partner-fulfilment';
import { ORDER_CLAIM_LEASE_MS, checkCouponUse } from '../domain/coupon-use';
import { checkEligibility } from '../domain/eligibility';
import { FailureType } from '../domain/failures';
import type { LimitSlot } from '../domain/limits';
import type { RedemptionOption } from '../domain/options';
import type { OrderCapture, RedemptionInput, RedemptionOutcome } from '../domain/redemption';
import { redemptionCurrentDetails, type RedemptionProgress } from '../domain/redemption-summary';
import type { RefusalCode } from '../domain/failures';
import { operatorInputProblem, type OperatorNote } from '../domain/operator-actions';
import { orderCancellationProblem } from '../domain/partial-refund';
import { DEFAULT_PARTNER_RECONCILE_LIMIT_MS, reviewResolutionProblem, type ReviewResolution } from '../domain/review';
import { CouponCodeKey, MemberIdKey, OptionIdKey, PartnerKey, RedemptionStatusKey } from '../domain/search-attributes';
import { isDecided, isFinal, type RedemptionStatus, type RejectionReason } from '../domain/states';
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

/**
 * Whether a failed partner call may have reached the partner and been fulfilled there: the request left and no answer
 * came back, or the attempt was still running when Temporal stopped waiting for it (a worker died, the deadline hit).
 */
function isOutcomeUnknown(error: unknown): boolean {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof TimeoutFailure || isFailureOfType(error, FailureType.PartnerOutcomeUnknown);
}

/** How fulfilment ended: fulfilled, definitely not (refused, or every attempt failed for sure), or unknown. */
type Fulfilment = { result: 'fulfilled' } | { result: 'failed' | 'unknown'; failure: string };

/** The order's subtotal for a store step, when the order said. */
function subtotalOf(order: OrderCapture): { orderSubtotal?: number } {
  return order.subtotal !== undefined ? { orderSubtotal: order.subtotal } : {};
}

function failureText(error: unknown): string {
  return String((error as Error).cause ?? error);
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

  // Fulfilment retries with backoff until the configured deadline; a 4xx that retrying cannot fix stops it at once, and
  // so does an attempt whose outcome is unknown, which hands over to reconciliation.
  const partner = (summary: string) =>
    proxyActivities<Activities>({
      summary,
      startToCloseTimeout: settings.partnerAttemptTimeoutMs + 5_000,
      scheduleToCloseTimeout: settings.partnerDeadlineMs,
      retry: {
        initialInterval: '500ms',
        backoffCoefficient: 2,
        maximumInterval: Math.max(1_000, Math.min(10_000, settings.partnerDeadlineMs / 4)),
        nonRetryableErrorTypes: [FailureType.PartnerRejected, FailureType.PartnerOutcomeUnknown],
      },
    });
  // Reconciliation: the partner may have fulfilled an earlier attempt, so the same request, with the same
  // Idempotency-Key, is retried until the partner answers it or the reconcile limit passes.
  const reconcileLimitMs = settings.partnerReconcileLimitMs ?? DEFAULT_PARTNER_RECONCILE_LIMIT_MS;
  const reconciliation = (summary: string) =>
    proxyActivities<Activities>({
      summary,
      startToCloseTimeout: settings.partnerAttemptTimeoutMs + 5_000,
      scheduleToCloseTimeout: reconcileLimitMs,
      retry: {
        initialInterval: '500ms',
        backoffCoefficient: 2,
        maximumInterval: Math.max(1_000, Math.min(60_000, reconcileLimitMs / 4)),
        nonRetryableErrorTypes: [FailureType.PartnerRejected],
      },
    });
  let review: ReviewResolution | undefined;

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

  /**
   * Calls the partner until it answers for sure. Compensation follows only a refusal or attempts that all failed for
   * sure; once an attempt's outcome is unknown, the same request is retried until the reconcile limit.
   */
  async function fulfil(call: PartnerRedeemInput): Promise<Fulfilment> {
    try {
      await partner(`Redeem the coupon with ${call.partner}`).redeemWithPartner(call);
      return { result: 'fulfilled' };
    } catch (error) {
      if (!isOutcomeUnknown(error)) return { result: 'failed', failure: failureText(error) };
      log.warn('partner outcome unknown; reconciling with the same Idempotency-Key', { redemptionId: id });
    }
    try {
      await reconciliation(`Reconcile with ${call.partner}: same Idempotency-Key`).redeemWithPartner({
        ...call,
        reconciling: true,
      });
      return { result: 'fulfilled' };
    } catch (error) {
      if (isFailureOfType(error, FailureType.PartnerRejected)) return { result: 'failed', failure: failureText(error) };
      return { result: 'unknown', failure: failureText(error) };
    }
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
        await store(`Record order ${capture.order_id}`).recordOrder({
          redemptionId: id,
          orderId: capture.order_id,
          ...subtotalOf(capture),
        });
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
    async ({ cancellation_id }) => {
      // A partial cancellation gets here only once the redemption is final, with nothing left to refund.
      if (cancellation_id !== undefined) return { ...outcome, cancellation_refund: 0 };
      orderCancelRequested = true;
      await condition(() => isFinal(outcome.status));
      return outcome;
    },
    {
      validator: (cancellation) => {
        const problem = orderCancellationProblem(cancellation);
        if (problem) refuse('invalid_order_cancellation', problem);
        if (outcome.order_id !== cancellation.order_id) {
          refuse('order_mismatch', 'This redemption was not used by that order.');
        }
        // Part of an order is refunded by the redemption's orders workflow, once this one has ended with it.
        if (cancellation.cancellation_id !== undefined && !isFinal(outcome.status)) {
          refuse(
            'order_not_settled',
            `The reward of this order is ${outcome.status}, not settled yet; cancel part of the order once it has completed, or cancel the whole order.`,
          );
        }
      },
    },
  );

  setHandler(
    resolveReviewUpdate,
    async (resolution) => {
      review = resolution;
      await condition(() => outcome.status !== 'needs_review');
      return outcome;
    },
    {
      validator: (resolution) => {
        if (outcome.status !== 'needs_review' || review !== undefined) {
          refuse(
            'redemption_not_in_review',
            review
              ? `This redemption is already being resolved as ${review.outcome}.`
              : `Only a redemption in needs_review can be resolved; this one is ${outcome.status}.`,
          );
        }
        const problem = reviewResolutionProblem(resolution);
        if (problem) refuse('invalid_review_resolution', problem);
      },
    },
  );

  let operatorRefund: OperatorNote | undefined;

  setHandler(
    releaseHoldUpdate,
    async (note) => {
      cancelRequested = true;
      await store('Record the operator release').recordOperatorAction({ redemptionId: id, action: 'release', note });
      await condition(() => outcome.status !== 'awaiting_order');
      return outcome;
    },
    {
      validator: (note) => {
        const problem = operatorInputProblem(note);
        if (problem) refuse('invalid_operator_action', problem);
        if (outcome.status !== 'awaiting_order' || order !== undefined || claimedBy() !== null || cancelRequested) {
          refuse(
            'redemption_not_releasable',
            `Only a hold that no order is using can be released; this redemption is ${outcome.status}.`,
          );
        }
      },
    },
  );

  setHandler(
    refundRedemptionUpdate,
    async (note) => {
      operatorRefund = note;
      await condition(() => outcome.status === 'refunded');
      return outcome;
    },
    {
      validator: (note) => {
        const problem = operatorInputProblem(note, { reasonRequired: true });
        if (problem) refuse('invalid_operator_action', problem);
        if (outcome.status !== 'completed' || operatorRefund !== undefined || orderCancelRequested) {
          refuse(
            'redemption_not_refundable',
            `Only a completed redemption can be refunded; this one is ${outcome.status}.`,
          );
        }
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
      ...(input.memberId !== undefined ? { memberId: input.memberId } : {}),
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

    // An option with limits takes a slot in each before any points move; an option without adds no step at all.
    let slots: LimitSlot[] = [];
    if (option!.limits) {
      const claim = await store('Take a slot in the option’s limits').claimLimitSlots({
        redemptionId: id,
        memberId: memberId!,
        optionId: option!.id,
        limits: option!.limits,
      });
      if (!claim.ok) return reject(claim.reason, memberId, found);
      slots = claim.slots;
    }
    const giveSlotsBack = async (cause: RedemptionStatus) => {
      if (slots.length === 0) return;
      await store(`Give back the limit slot (${cause})`).releaseLimitSlots({ redemptionId: id, slots, cause });
    };

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
          ...(!delayed && order?.subtotal !== undefined ? { order_subtotal: order.subtotal } : {}),
        },
      });
    } catch (error) {
      if (isFailureOfType(error, FailureType.InsufficientPoints)) {
        await giveSlotsBack('rejected');
        return reject('insufficient_points', memberId, found);
      }
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
        await giveSlotsBack(status);
        statusChanged(status);
        return finish();
      }
      await store(`Capture ${eligibility.points} held points for order ${order.order_id}`).capturePoints({
        ...pointsOfRedemption,
        version: nextVersion(),
        orderId: order.order_id,
        sourcePartner: order.source_partner ?? null,
        ...subtotalOf(order),
      });
      statusChanged('redeeming');
    }

    // Compensations are registered only after their step succeeded, and run newest first.
    const compensations: { name: string; run: () => Promise<unknown> }[] = [];
    if (slots.length > 0) {
      compensations.unshift({ name: 'give back the limit slot', run: () => giveSlotsBack('compensated') });
    }
    compensations.unshift({
      name: 'refund points',
      run: () => store(`Compensate: refund ${eligibility.points} points`).refundPoints(pointsOfRedemption),
    });
    compensations.unshift({
      name: 'void coupon',
      run: () => store('Compensate: void the coupon').voidCoupon({ redemptionId: id }),
    });

    async function compensate(failure: string): Promise<RedemptionOutcome> {
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
      await store('Mark compensated').markCompensated({ redemptionId: id, version: nextVersion(), failure });
      statusChanged('compensated');
      return finish();
    }

    if (rewardPartner && rewardPartner !== order?.source_partner) {
      const fulfilment = await fulfil({
        redemptionId: id,
        partner: rewardPartner,
        couponCode,
        businessRef: order?.business_ref ?? option!.business_ref,
        branchId: order?.branch_id ?? '',
        requestedAt: new Date().toISOString(),
        attemptTimeoutMs: settings.partnerAttemptTimeoutMs,
      });
      if (fulfilment.result === 'failed') {
        log.warn('partner fulfilment failed for good; compensating', { redemptionId: id, error: fulfilment.failure });
        return compensate(fulfilment.failure);
      }
      if (fulfilment.result === 'unknown') {
        // The partner may have fulfilled the reward: the points stay debited until an operator says whether it did.
        log.warn('partner outcome unknown past the reconcile limit; needs review', { redemptionId: id });
        await store('Needs review: the partner never answered for sure').markNeedsReview({
          redemptionId: id,
          version: nextVersion(),
          failure: fulfilment.failure,
        });
        statusChanged('needs_review');
        await condition(() => review !== undefined);
        await store('Record the review resolution').recordReviewResolution({ redemptionId: id, resolution: review! });
        if (review!.outcome === 'not_fulfilled') {
          return compensate(`an operator found that the partner did not fulfil it: ${fulfilment.failure}`);
        }
      }
    }
    await store('Mark completed').completeRedemption({ redemptionId: id, version: nextVersion() });
    statusChanged('completed');

    // The workflow ends with the redemption. An order cancelled while it ran is refunded here; one cancelled later goes
    // through the redemption's orders workflow.
    const refundAsked = () => orderCancelRequested || operatorRefund !== undefined;
    await condition(() => refundAsked() || allHandlersFinished());
    await whileClaimed(() => refundAsked() || outcome.order_id !== null);
    if (operatorRefund) {
      await store('Record the operator refund').recordOperatorAction({
        redemptionId: id,
        action: 'refund',
        note: operatorRefund,
      });
    }
    if (refundAsked()) {
      const why = operatorRefund ? 'an operator refunded it' : `order ${outcome.order_id} cancelled`;
      await store(`Refund ${eligibility.points} points: ${why}`).refundOrder({
        ...pointsOfRedemption,
        version: nextVersion(),
      });
      await giveSlotsBack('refunded');
      statusChanged('refunded');
    }
    return finish();
  });
  if (cancelledByOperator && result.status === 'cancelled') throw cancelledByOperator;
  return result;
}
