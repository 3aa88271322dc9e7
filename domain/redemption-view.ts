/** What every caller sees of a redemption: the API's answers and the merchant webhooks' payloads. */
import type { RedemptionView } from './redemption';
import type { RedemptionStatus } from './states';

/** The stored redemption as far as its view reads it (store/redemptions.ts's RedemptionDocument is one). */
export type ViewedRedemption = Omit<
  RedemptionView,
  'id' | 'reward_text' | 'points_refunded' | 'created_at' | 'updated_at'
> & {
  _id: string;
  /** Absent before any cancellation of its order. */
  points_refunded?: number;
  created_at: Date;
  updated_at: Date;
};

/** Redemptions refunded in full before partial cancellations existed carry no count: all their points went back. */
export function pointsRefundedOf(redemption: Pick<ViewedRedemption, 'points_refunded' | 'status' | 'points'>): number {
  if (redemption.points_refunded !== undefined) return redemption.points_refunded;
  return redemption.status === 'refunded' || redemption.status === 'compensated' ? (redemption.points ?? 0) : 0;
}

export function toRedemptionView(redemption: ViewedRedemption): RedemptionView {
  return {
    id: redemption._id,
    member_id: redemption.member_id,
    redemption_option_id: redemption.redemption_option_id,
    points: redemption.points,
    delay_points_deduction: redemption.delay_points_deduction,
    currency: redemption.currency,
    coupon_code: redemption.coupon_code,
    reward_text: redemption.coupon_code,
    status: redemption.status,
    reason: redemption.reason,
    partner: redemption.partner,
    order_id: redemption.order_id,
    points_refunded: pointsRefundedOf(redemption),
    expires_at: redemption.expires_at,
    created_at: redemption.created_at.toISOString(),
    updated_at: redemption.updated_at.toISOString(),
  };
}

/**
 * A decided redemption as Create Redemption answers it: its whole view, or, for a status whose answer shows only what
 * decided it (see answeredWithWholeView), its id, status and reason.
 */
export type DecidedRedemption = RedemptionView | Pick<RedemptionView, 'id' | 'status' | 'reason'>;

/** Statuses Create Redemption answers with what decided them (an error, or a redemption to poll), not its view. */
const ANSWERED_WITHOUT_VIEW: ReadonlySet<RedemptionStatus> = new Set([
  'rejected',
  'compensated',
  'pending',
  'redeeming',
  'needs_review',
]);

export function answeredWithWholeView(status: RedemptionStatus): boolean {
  return !ANSWERED_WITHOUT_VIEW.has(status);
}

export function isWholeView(redemption: DecidedRedemption): redemption is RedemptionView {
  return 'created_at' in redemption;
}
