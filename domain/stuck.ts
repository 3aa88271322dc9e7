/**
 * A redemption stuck in a state its workflow should have moved it out of by now: still awaiting its order well past
 * its coupon's expiry, still redeeming well past every partner deadline, or waiting for an operator's review for more
 * than a day. Reconciliation reports them, so that nobody has to notice points held or debited for nothing.
 */
import type { RedemptionStatus } from './states';

export type StuckReason = 'order_wait_overdue' | 'redeeming_overdue' | 'review_overdue';
export const STUCK_REASONS: StuckReason[] = ['order_wait_overdue', 'redeeming_overdue', 'review_overdue'];

export interface StuckLimits {
  /** How long past its coupon's expiry a redemption may still await its order (its workflow releases it then). */
  orderWaitGraceMs: number;
  /** How long a redemption may be redeeming: the partner's deadline and reconcile limit, and then some. */
  redeemingMs: number;
  /** How long a redemption may wait in review before it is overdue. */
  reviewMs: number;
}

export const DEFAULT_REVIEW_LIMIT_MS = 24 * 3_600_000;
/** Time for a worker that was down to come back and finish what was due. */
const GRACE_MS = 3_600_000;

export function stuckLimits(settings: {
  partnerRedeemDeadlineMs: number;
  partnerReconcileLimitMs: number;
}): StuckLimits {
  return {
    orderWaitGraceMs: GRACE_MS,
    redeemingMs: settings.partnerRedeemDeadlineMs + settings.partnerReconcileLimitMs + GRACE_MS,
    reviewMs: DEFAULT_REVIEW_LIMIT_MS,
  };
}

export interface StuckFacts {
  status: RedemptionStatus;
  /** When a delayed redemption's coupon expires. */
  expires_at: string | null;
  /** When its status last changed. */
  updated_at: Date;
}

/** Why the redemption is stuck, or undefined when it is where it may be. */
export function stuckReason(
  redemption: StuckFacts,
  now: Date,
  limits: StuckLimits,
): { reason: StuckReason; message: string } | undefined {
  const since = now.getTime() - redemption.updated_at.getTime();
  const hours = (ms: number) => `${Math.round((ms / 3_600_000) * 10) / 10} h`;
  switch (redemption.status) {
    case 'awaiting_order': {
      const expiry = redemption.expires_at ? Date.parse(redemption.expires_at) : Number.NaN;
      const overdue = now.getTime() - expiry;
      if (!(overdue > limits.orderWaitGraceMs)) return undefined;
      return {
        reason: 'order_wait_overdue',
        message: `Still awaiting its order ${hours(overdue)} after its coupon expired at ${redemption.expires_at}: its hold should have been released.`,
      };
    }
    case 'redeeming':
      if (since <= limits.redeemingMs) return undefined;
      return {
        reason: 'redeeming_overdue',
        message: `Redeeming for ${hours(since)}, longer than the partner's deadline and reconcile limit allow.`,
      };
    case 'needs_review':
      if (since <= limits.reviewMs) return undefined;
      return { reason: 'review_overdue', message: `Waiting for an operator's review for ${hours(since)}.` };
    default:
      return undefined;
  }
}
