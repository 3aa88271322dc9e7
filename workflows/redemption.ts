/**
 * One redemption, start to finish: eligibility, points (debited now, or held until the order), coupon, partner
 * fulfilment, and compensation when fulfilment fails for good. After completion it stays open for the refund
 * window so that a cancelled order gets its points back through the same workflow.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { checkCouponUse } from '../domain/coupon-use';
import { checkEligibility } from '../domain/eligibility';
import { FailureType } from '../domain/failures';
import type { RedemptionOption } from '../domain/options';
import type { OrderCapture, RedemptionInput, RedemptionOutcome } from '../domain/redemption';
import type { RefusalCode } from '../domain/refusals';
import { CouponCodeKey, MemberIdKey, OptionIdKey, PartnerKey, RedemptionStatusKey } from '../domain/search-attributes';
import { isDecided, isFinal, type RedemptionStatus, type RejectionReason } from '../domain/states';
import type { LedgerType } from '../store/ledger';
import type { RedemptionChanges } from '../store/redemptions';
import {
  awaitDecisionUpdate,
  cancelOrderUpdate,
  cancelRedemptionUpdate,
  captureOrderUpdate,
  redemptionStatusQuery,
} from './messages';

const steps = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

function refuse(code: RefusalCode, message: string): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

function isFailureOfType(error: unknown, type: string): boolean {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === type;
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
  let memberId = '';
  let points = 0;
  let order: OrderCapture | undefined = input.order;
  let cancelRequested = false;
  let orderCancelRequested = false;

  // Fulfilment retries with backoff until the configured deadline; a 4xx that retrying cannot fix stops it at once.
  const partner = proxyActivities<Activities>({
    startToCloseTimeout: settings.partnerAttemptTimeoutMs + 5_000,
    scheduleToCloseTimeout: settings.partnerDeadlineMs,
    retry: {
      initialInterval: '500ms',
      backoffCoefficient: 2,
      maximumInterval: Math.max(1_000, Math.min(10_000, settings.partnerDeadlineMs / 4)),
      nonRetryableErrorTypes: [FailureType.PartnerRejected],
    },
  });

  async function setStatus(status: RedemptionStatus, changes: RedemptionChanges = {}, note?: Record<string, unknown>) {
    await steps.recordStatus({ redemptionId: id, status, changes, note });
    outcome.status = status;
    if (changes.reason !== undefined) outcome.reason = changes.reason;
    if (changes.coupon_code !== undefined) outcome.coupon_code = changes.coupon_code;
    if (changes.order_id !== undefined) outcome.order_id = changes.order_id;
    upsertSearchAttributes([{ key: RedemptionStatusKey, value: status }]);
  }

  function ledger(type: LedgerType, step: string) {
    return steps.applyLedgerEntry({ redemptionId: id, memberId, type, points, step });
  }

  async function reject(reason: RejectionReason, memberIdIfFound: string | null) {
    await setStatus('rejected', { reason, ...(memberIdIfFound ? { member_id: memberIdIfFound } : {}) });
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
      if (outcome.status === 'completed') {
        // An immediate redemption's points are already paid: the order only claims the coupon.
        await steps.recordOrder({ redemptionId: id, orderId: capture.order_id });
        return outcome;
      }
      order = capture;
      await condition(() => outcome.status !== 'awaiting_order' && outcome.status !== 'redeeming');
      return outcome;
    },
    {
      validator: (capture) => {
        const use = checkCouponUse({ ...outcome, cancelRequested }, option, capture);
        if (!use.ok) refuse(use.code, use.message);
      },
    },
  );

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

  await steps.recordRedemption({ redemptionId: id, requestHash: input.requestHash, request });
  const context = await steps.loadRedemptionContext(request);
  option = context.option;
  const eligibility = checkEligibility({
    memberFound: context.memberId !== null,
    option,
    currency: request.currency,
    pointRedemptions: request.point_redemptions,
    availablePoints: context.availablePoints,
    now: new Date(),
    order: input.order,
  });
  if (context.memberId) upsertSearchAttributes([{ key: MemberIdKey, value: context.memberId }]);
  upsertSearchAttributes([{ key: OptionIdKey, value: request.redemption_option_id }]);
  if (!eligibility.ok) return reject(eligibility.reason, context.memberId);

  memberId = context.memberId!;
  points = eligibility.points;
  const rewardPartner = option!.partner;
  if (rewardPartner) upsertSearchAttributes([{ key: PartnerKey, value: rewardPartner }]);

  // Compensations are registered only after their step succeeded, and run newest first.
  const compensations: { name: string; run: () => Promise<unknown> }[] = [];

  try {
    await ledger(request.delay_points_deduction ? 'HOLD' : 'DEBIT', request.delay_points_deduction ? 'hold' : 'debit');
  } catch (error) {
    if (isFailureOfType(error, FailureType.InsufficientPoints)) return reject('insufficient_points', memberId);
    throw error;
  }
  const couponCode = await steps.issueCoupon({ redemptionId: id });
  upsertSearchAttributes([{ key: CouponCodeKey, value: couponCode }]);
  const common = {
    member_id: memberId,
    points,
    currency: eligibility.currency,
    partner: rewardPartner,
    coupon_code: couponCode,
  };

  if (request.delay_points_deduction) {
    const ttlSeconds = option!.coupon_ttl_seconds ?? settings.couponTtlSeconds;
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString();
    await setStatus('awaiting_order', { ...common, expires_at: expiresAt });
    // An order that arrives together with the deadline still wins: its update was accepted.
    await condition(() => order !== undefined || cancelRequested, ttlSeconds * 1000);
    if (order === undefined) {
      await ledger('RELEASE', 'release');
      await steps.voidCoupon({ redemptionId: id });
      await setStatus(cancelRequested ? 'cancelled' : 'expired');
      return finish();
    }
    await ledger('CAPTURE', 'capture');
    await setStatus('redeeming', { order_id: order.order_id }, { source_partner: order.source_partner ?? null });
  } else {
    await setStatus('redeeming', { ...common, ...(order ? { order_id: order.order_id } : {}) });
  }
  compensations.unshift({ name: 'refund points', run: () => ledger('REFUND', 'refund') });
  compensations.unshift({ name: 'void coupon', run: () => steps.voidCoupon({ redemptionId: id }) });

  if (rewardPartner && rewardPartner !== order?.source_partner) {
    try {
      await partner.redeemWithPartner({
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
      await setStatus('compensated', {}, { failure: String((error as Error).cause ?? error) });
      return finish();
    }
  }
  await setStatus('completed');

  // A cancelled order gets its points back, for as long as the refund window lasts.
  if (await condition(() => orderCancelRequested, settings.orderRefundWindowSeconds * 1000)) {
    await ledger('REFUND', 'refund');
    await setStatus('refunded');
  }
  return finish();
}
