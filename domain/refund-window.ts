/**
 * How long after it completed a redemption's order may still be cancelled for its points
 * (`ORDER_REFUND_WINDOW_SECONDS`). Past it, points go back only by an adjustment of the member's points.
 */
import type { RefusalCode } from './failures';

export type RefundWindowCheck = { ok: true } | { ok: false; code: RefusalCode; message: string };

/** `now` in milliseconds since the epoch. A redemption without a completion time is past any window. */
export function checkRefundWindow(
  redemption: { id: string; completed_at: string | null | undefined },
  windowSeconds: number,
  now: number,
): RefundWindowCheck {
  const refundableUntil = Date.parse(redemption.completed_at ?? '') + windowSeconds * 1000;
  if (now <= refundableUntil) return { ok: true };
  return {
    ok: false,
    code: 'refund_window_passed',
    message: `Redemption ${redemption.id} is past its refund window; adjust the member's points instead.`,
  };
}
