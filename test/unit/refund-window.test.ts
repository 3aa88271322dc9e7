import { describe, expect, it } from 'vitest';
import { checkRefundWindow } from '../../domain/refund-window';

describe('refund window', () => {
  const completedAt = '2026-01-01T00:00:00.000Z';
  const redemption = { id: 'rdm_1', completed_at: completedAt };
  const at = (secondsAfter: number) => Date.parse(completedAt) + secondsAfter * 1000;

  it('lets an order be cancelled for its points up to the last millisecond of the window', () => {
    expect(checkRefundWindow(redemption, 60, at(0))).toEqual({ ok: true });
    expect(checkRefundWindow(redemption, 60, at(60))).toEqual({ ok: true });
  });

  it('refuses once the window has passed, saying to adjust the points instead', () => {
    expect(checkRefundWindow(redemption, 60, at(60) + 1)).toEqual({
      ok: false,
      code: 'refund_window_passed',
      message: "Redemption rdm_1 is past its refund window; adjust the member's points instead.",
    });
  });

  it('refuses a redemption that has no completion time', () => {
    expect(checkRefundWindow({ id: 'rdm_2', completed_at: null }, 60, at(0))).toMatchObject({ ok: false });
    expect(checkRefundWindow({ id: 'rdm_2', completed_at: undefined }, 60, at(0))).toMatchObject({ ok: false });
  });
});
