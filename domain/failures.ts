/**
 * The product's one vocabulary of failures:
 * - step failures: the `type` of every ApplicationFailure our activities raise on purpose, and whether retrying can
 *   help (callers branch on types, never on messages);
 * - refusals: what the product refuses a caller, by code, with the HTTP status it is answered with. Workflows raise
 *   them from update validators (as non-retryable failures of that type), the application as `Refusal` errors.
 */
import type { OrderRefusal } from './states';

export const FailureType = {
  /** The ledger refused an entry that would make points_available negative. */
  InsufficientPoints: 'InsufficientPoints',
  /** A ledger idempotency key already names a different entry: retrying writes nothing new, so it never helps. */
  IdempotencyKeyConflict: 'IdempotencyKeyConflict',
  /** The ledger could not append after many optimistic-concurrency attempts. */
  LedgerContention: 'LedgerContention',
  /** The partner answered with a 4xx that retrying cannot fix. */
  PartnerRejected: 'PartnerRejected',
  /**
   * The partner answered 408/429/5xx, or could not be reached at all (the request never left): it did not fulfil the
   * reward. Retried until the deadline.
   */
  PartnerUnavailable: 'PartnerUnavailable',
  /**
   * The request was sent but no answer came (timed out, connection dropped): the partner may have fulfilled the reward.
   * Retryable, but only by reconciliation (the fulfilment step stops on it): the same Idempotency-Key up to the
   * reconcile limit, and never compensated without an operator.
   */
  PartnerOutcomeUnknown: 'PartnerOutcomeUnknown',
  /**
   * A step found no document for its redemption, which the first step stored: the store lost a write it had
   * acknowledged, or someone deleted it. Never taken for a repeat; retried, so that it shows in the workflow and its
   * metric until someone looks.
   */
  RedemptionMissing: 'RedemptionMissing',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Whether retrying the step can help: raised failures carry `nonRetryable` from here. */
export const RETRYABLE: Record<FailureType, boolean> = {
  InsufficientPoints: false,
  IdempotencyKeyConflict: false,
  LedgerContention: true,
  PartnerRejected: false,
  PartnerUnavailable: true,
  PartnerOutcomeUnknown: true,
  RedemptionMissing: true,
};

/** Every refusal and its HTTP status: 404 unknown, 409 conflicts with what already happened, 422 a business rule. */
const REFUSAL_STATUS = {
  not_found: 404,
  redemption_not_found: 404,
  coupon_not_found: 404,
  order_not_found: 404,
  coupon_expired: 422,
  coupon_cancelled: 422,
  coupon_void: 422,
  coupon_already_used: 409,
  branch_not_allowed: 422,
  business_not_allowed: 422,
  min_subtotal_not_met: 422,
  currency_not_supported: 422,
  idempotency_key_reused: 409,
  redemption_not_cancellable: 409,
  order_mismatch: 422,
  refund_window_passed: 422,
  redemption_not_in_review: 409,
  invalid_review_resolution: 422,
  redemption_not_releasable: 409,
  redemption_not_refundable: 409,
  invalid_operator_action: 422,
  report_range_too_long: 422,
  webhook_endpoint_not_found: 404,
  webhook_url_not_public: 422,
  webhook_endpoint_limit_reached: 422,
  webhook_endpoint_disabled: 409,
  replay_window_too_long: 422,
  replay_since_in_future: 422,
  invalid_order_cancellation: 422,
  order_subtotal_unknown: 422,
  order_not_settled: 409,
} as const satisfies Record<OrderRefusal, number> & Record<string, 404 | 409 | 422>;

export type RefusalCode = keyof typeof REFUSAL_STATUS;

export function isRefusalCode(code: string): code is RefusalCode {
  return Object.hasOwn(REFUSAL_STATUS, code);
}

/** The HTTP status a refusal is answered with. */
export function refusalStatus(code: RefusalCode): 404 | 409 | 422 {
  return REFUSAL_STATUS[code];
}

/** A refusal raised by the application; the API answers it with its status, code and message. */
export class Refusal extends Error {
  readonly status: 404 | 409 | 422;

  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.status = refusalStatus(code);
  }
}
