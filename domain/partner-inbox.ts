/**
 * The vocabulary of the partner inbox (Deliverect's notifications): how a hand-off to the redemptions' workflows ends,
 * and why a notification was given up (its dead letter).
 */

/** Why a notification's work was given up. */
export interface DeadLetterReason {
  /**
   * `order_never_seen` (a cancellation whose order did not come within the orphan TTL), `notification_unreadable` (the
   * body recorded is not a notification we can read), `hand_off_failed` (still failing at the hand-off deadline), or
   * the code of the refusal a redemption's workflow answered.
   */
  reason: string;
  message: string;
}

/** What a hand-off ended in: done, refused for good (its reason), or a cancellation whose order was never recorded. */
export type HandOff = { outcome: 'done' } | ({ outcome: 'refused' } & DeadLetterReason) | { outcome: 'order_unknown' };
