import type { OrderRefusal } from './states';

/**
 * Why the workflow refuses an update: an order refusal, or a state conflict. An update validator throws an
 * ApplicationFailure whose `type` is one of these codes and whose message is for the caller.
 */
export type RefusalCode =
  | OrderRefusal
  | 'idempotency_key_reused'
  | 'redemption_not_cancellable'
  | 'order_mismatch'
  | 'redemption_not_found'
  | 'refund_window_passed'
  | 'redemption_not_in_review'
  | 'invalid_review_resolution'
  | 'redemption_not_releasable'
  | 'redemption_not_refundable'
  | 'invalid_operator_action';

/** Codes that mean "conflicts with what already happened" (409); every other refusal is a business rule (422). */
export const CONFLICT_REFUSALS: RefusalCode[] = [
  'coupon_already_used',
  'idempotency_key_reused',
  'redemption_not_cancellable',
  'redemption_not_in_review',
  'redemption_not_releasable',
  'redemption_not_refundable',
];

/** The HTTP status a refusal is answered with. */
export function refusalStatus(code: RefusalCode): 404 | 409 | 422 {
  if (code === 'redemption_not_found') return 404;
  return CONFLICT_REFUSALS.includes(code) ? 409 : 422;
}
