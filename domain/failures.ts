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
  /** The partner was unreachable, timed out, or answered 408/429/5xx; retryable until the deadline. */
  PartnerUnavailable: 'PartnerUnavailable',
  /** An update's input or the redemption's state refuses the request; the message is for the caller. */
  RequestRefused: 'RequestRefused',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
