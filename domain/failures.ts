/**
 * The `type` of every ApplicationFailure our activities and workflow raise on purpose. Callers branch on these,
 * never on messages.
 */
export const FailureType = {
  /** The ledger refused an entry that would make points_available negative. */
  InsufficientPoints: 'InsufficientPoints',
  /** A ledger idempotency key already names a different entry: retrying writes nothing new, so it never helps. */
  IdempotencyKeyConflict: 'IdempotencyKeyConflict',
  /** The ledger could not append after many optimistic-concurrency attempts; retryable. */
  LedgerContention: 'LedgerContention',
  /** The partner answered with a 4xx that retrying cannot fix. */
  PartnerRejected: 'PartnerRejected',
  /**
   * The partner answered 408/429/5xx, or could not be reached at all (the request never left): it did not fulfil the
   * reward. Retryable until the deadline.
   */
  PartnerUnavailable: 'PartnerUnavailable',
  /**
   * The request was sent but no answer came (timed out, connection dropped): the partner may have fulfilled the reward.
   * Retried with the same Idempotency-Key up to the reconcile limit, never compensated without an operator.
   */
  PartnerOutcomeUnknown: 'PartnerOutcomeUnknown',
  /** An update's input or the redemption's state refuses the request; the message is for the caller. */
  RequestRefused: 'RequestRefused',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
