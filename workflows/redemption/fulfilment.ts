/**
 * The partner fulfils the reward. Fulfilment retries with backoff until the configured deadline; a 4xx that retrying
 * cannot fix stops it at once, and so does an attempt whose outcome is unknown, which hands over to reconciliation:
 * the partner may have fulfilled an earlier attempt, so the same request, with the same Idempotency-Key, is retried
 * until the partner answers it or the reconcile limit passes.
 */
import { ActivityFailure, log, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { FailureType } from '../../domain/failures';
import type { OrderCapture, RedemptionSettings } from '../../domain/redemption';
import { DEFAULT_PARTNER_RECONCILE_LIMIT_MS } from '../../domain/review';
import { isFailureOfType } from '../activity-failures';
import type { RedemptionTerms } from './eligibility';
import type { RedemptionRun } from './run';

/** How fulfilment ended: fulfilled, definitely not (refused, or every attempt failed for sure), or unknown. */
export type Fulfilment = { result: 'fulfilled' } | { result: 'failed' | 'unknown'; failure: string };

const partnerCalls = (settings: RedemptionSettings, summary: string) =>
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

const reconciliationCalls = (settings: RedemptionSettings, summary: string) => {
  const reconcileLimitMs = settings.partnerReconcileLimitMs ?? DEFAULT_PARTNER_RECONCILE_LIMIT_MS;
  return proxyActivities<Activities>({
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
};

/**
 * Whether a failed partner call may have reached the partner and been fulfilled there: the request left and no answer
 * came back, or the attempt was still running when Temporal stopped waiting for it (a worker died, the deadline hit).
 */
function isOutcomeUnknown(error: unknown): boolean {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof TimeoutFailure || isFailureOfType(error, FailureType.PartnerOutcomeUnknown);
}

function failureText(error: unknown): string {
  return String((error as Error).cause ?? error);
}

/** A partner fulfils the reward unless the order came through that same partner, which fulfilled it already. */
export function needsPartner(run: RedemptionRun, terms: RedemptionTerms): boolean {
  return needsPartnerFor(terms.partner, run.order);
}

export function needsPartnerFor(partner: RedemptionTerms['partner'], order: OrderCapture | undefined): boolean {
  return partner !== null && partner !== order?.source_partner;
}

/**
 * Calls the partner until it answers for sure. Compensation follows only a refusal or attempts that all failed for
 * sure; once an attempt's outcome is unknown, the same request is retried until the reconcile limit.
 */
export async function fulfil(run: RedemptionRun, terms: RedemptionTerms): Promise<Fulfilment> {
  const { settings } = run.input;
  const { order } = run;
  const call = {
    redemptionId: run.id,
    partner: terms.partner!,
    couponCode: run.outcome.coupon_code!,
    businessRef: order?.business_ref ?? run.option!.business_ref,
    branchId: order?.branch_id ?? '',
    requestedAt: new Date().toISOString(),
    attemptTimeoutMs: settings.partnerAttemptTimeoutMs,
  };
  try {
    await partnerCalls(settings, `Redeem the coupon with ${call.partner}`).redeemWithPartner(call);
    return { result: 'fulfilled' };
  } catch (error) {
    if (!isOutcomeUnknown(error)) return failed(run, error);
    log.warn('partner outcome unknown; reconciling with the same Idempotency-Key', { redemptionId: run.id });
  }
  try {
    await reconciliationCalls(settings, `Reconcile with ${call.partner}: same Idempotency-Key`).redeemWithPartner({
      ...call,
      reconciling: true,
    });
    return { result: 'fulfilled' };
  } catch (error) {
    if (isFailureOfType(error, FailureType.PartnerRejected)) return failed(run, error);
    return { result: 'unknown', failure: failureText(error) };
  }
}

function failed(run: RedemptionRun, error: unknown): Fulfilment {
  const failure = failureText(error);
  log.warn('partner fulfilment failed for good; compensating', { redemptionId: run.id, error: failure });
  return { result: 'failed', failure };
}
