import { operatorInputProblem, type OperatorNote } from './operator-actions';

/**
 * An operator's decision on a redemption in needs_review: the partner's answer never came, so a person checks with the
 * partner whether the reward was fulfilled.
 */
/**
 * How long fulfilment goes on retrying, with the same Idempotency-Key, after an attempt whose outcome is unknown,
 * before the redemption needs review: long enough to ride out a partner's usual outage.
 */
export const DEFAULT_PARTNER_RECONCILE_LIMIT_MS = 3_600_000;

export const REVIEW_OUTCOMES = ['fulfilled', 'not_fulfilled'] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

export interface ReviewResolution extends OperatorNote {
  /** fulfilled: the redemption completes and keeps its points; not_fulfilled: it is compensated and refunded. */
  outcome: ReviewOutcome;
}

/**
 * What is wrong with a resolution sent from outside (the Temporal CLI or UI sends any JSON), or null when it is
 * acceptable.
 */
export function reviewResolutionProblem(input: unknown): string | null {
  return operatorInputProblem(input, {
    extra: {
      outcome: (value) =>
        REVIEW_OUTCOMES.includes(value as ReviewOutcome)
          ? null
          : 'outcome must be "fulfilled" (the partner fulfilled the reward) or "not_fulfilled" (refund the points).',
    },
  });
}
