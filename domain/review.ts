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

export interface ReviewResolution {
  /** fulfilled: the redemption completes and keeps its points; not_fulfilled: it is compensated and refunded. */
  outcome: ReviewOutcome;
  /** Who decided (an operator's name or id, never a member's personal data). */
  operator?: string;
  /** Why, for the audit trail. */
  reason?: string;
}

const TEXT_LIMITS = { operator: 200, reason: 1_000 } as const;

/**
 * What is wrong with a resolution sent from outside (the Temporal CLI or UI sends any JSON), or null when it is
 * acceptable. Plain code rather than a schema, so that the workflow's update validator can run it.
 */
export function reviewResolutionProblem(input: unknown): string | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return 'Send an object: {"outcome": "fulfilled" | "not_fulfilled", "operator"?: string, "reason"?: string}.';
  }
  const fields = input as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => key !== 'outcome' && !(key in TEXT_LIMITS));
  if (unknown.length > 0) return `Unknown field ${unknown.join(', ')}; send only outcome, operator and reason.`;
  if (!REVIEW_OUTCOMES.includes(fields.outcome as ReviewOutcome)) {
    return 'outcome must be "fulfilled" (the partner fulfilled the reward) or "not_fulfilled" (refund the points).';
  }
  for (const [field, limit] of Object.entries(TEXT_LIMITS)) {
    const value = fields[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim() === '' || value.length > limit) {
      return `${field} must be a non-empty string of at most ${limit} characters.`;
    }
  }
  return null;
}
