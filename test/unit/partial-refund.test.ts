import { describe, expect, it } from 'vitest';
import {
  canApportion,
  itemCancellationPlan,
  orderCancellationProblem,
  refundStep,
  type OrderReward,
  type RefundProgress,
} from '../../domain/partial-refund';

const fresh = (points: number, subtotal: number | null): RefundProgress => ({
  points,
  points_refunded: 0,
  amount_cancelled: 0,
  order_subtotal: subtotal,
});

/** Applies amounts one after another, as repeated cancellations of one order do. */
function cancelInTurn(progress: RefundProgress, amounts: number[]) {
  const refunds: number[] = [];
  let current = progress;
  for (const amount of amounts) {
    const step = refundStep(current, amount);
    refunds.push(step.refund);
    current = { ...current, points_refunded: step.points_refunded, amount_cancelled: step.amount_cancelled };
  }
  return { refunds, current };
}

describe('refund of an amount cancelled from the order', () => {
  it('refunds the share of the subtotal cancelled, rounded down', () => {
    expect(refundStep(fresh(300, 10_000), 2_500)).toEqual({ points_refunded: 75, amount_cancelled: 2_500, refund: 75 });
    expect(refundStep(fresh(100, 3), 1)).toEqual({ points_refunded: 33, amount_cancelled: 1, refund: 33 });
    expect(refundStep(fresh(7, 10_000), 1)).toEqual({ points_refunded: 0, amount_cancelled: 1, refund: 0 });
  });

  it('counts what was cancelled before, so rounding never loses or adds a point over repeated cancels', () => {
    const { refunds, current } = cancelInTurn(fresh(100, 3), [1, 1, 1]);
    expect(refunds).toEqual([33, 33, 34]);
    expect(current.points_refunded).toBe(100);
  });

  it('never refunds more than the points, however many cancels and however large', () => {
    for (const amounts of [[2_500, 2_500, 99_999], [99_999], [1, 9_999, 5], [3_333, 3_333, 3_333, 1, 1]]) {
      const { refunds, current } = cancelInTurn(fresh(301, 10_000), amounts);
      expect(refunds.reduce((sum, refund) => sum + refund, 0)).toBe(current.points_refunded);
      expect(current.points_refunded).toBeLessThanOrEqual(301);
      expect(refunds.every((refund) => refund >= 0)).toBe(true);
    }
  });

  it('refunds everything once the whole subtotal is cancelled, and nothing after', () => {
    const { refunds, current } = cancelInTurn(fresh(300, 10_000), [2_500, 2_500, 99_999, 10]);
    expect(refunds).toEqual([75, 75, 150, 0]);
    expect(current).toMatchObject({ points_refunded: 300, amount_cancelled: 10_000 });
    expect(refundStep(fresh(300, 10_000), 10_000).refund).toBe(300);
  });

  it('keeps exact integer maths beyond the range of doubles', () => {
    const points = Number.MAX_SAFE_INTEGER;
    const step = refundStep(fresh(points, Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER - 1);
    expect(step.refund).toBe(points - 1);
  });

  it('needs a known, positive subtotal', () => {
    expect(canApportion({ order_subtotal: null })).toBe(false);
    expect(canApportion({ order_subtotal: 0 })).toBe(false);
    expect(canApportion({ order_subtotal: 1 })).toBe(true);
    expect(() => refundStep(fresh(100, null), 10)).toThrow();
  });
});

describe('refund of a whole redemption', () => {
  it('gives back what is left', () => {
    expect(refundStep({ ...fresh(300, 10_000), points_refunded: 75, amount_cancelled: 2_500 })).toEqual({
      points_refunded: 300,
      amount_cancelled: 10_000,
      refund: 225,
    });
    expect(refundStep({ ...fresh(300, null), points_refunded: 300 }).refund).toBe(0);
  });
});

describe('items cancelled', () => {
  const reward = (id: string, itemPlu: string | null, refundable = true): OrderReward => ({
    id,
    type: itemPlu ? 'free_item' : 'discount_amount',
    item_plu: itemPlu,
    refundable,
  });

  it('offers the refundable item rewards of each PLU named, in order, with the units cancelled added up', () => {
    const rewards = [
      reward('a', 'COF'),
      reward('b', 'TEA'),
      reward('c', 'COF', false),
      reward('d', null),
      reward('e', 'COF'),
    ];
    expect(
      itemCancellationPlan(
        [
          { plu: 'COF', quantity: 1 },
          { plu: 'CAKE', quantity: 2 },
          { plu: 'COF', quantity: 2 },
        ],
        rewards,
      ),
    ).toEqual([
      { plu: 'COF', quantity: 3, candidates: ['a', 'e'] },
      { plu: 'CAKE', quantity: 2, candidates: [] },
    ]);
  });

  it('never offers an order-level reward, even one whose option names a PLU', () => {
    const orderLevel: OrderReward = { id: 'x', type: 'discount_percentage', item_plu: 'COF', refundable: true };
    expect(itemCancellationPlan([{ plu: 'COF', quantity: 1 }], [orderLevel])[0]!.candidates).toEqual([]);
  });
});

describe('an order cancellation sent to a workflow', () => {
  const id = 'ocx_abcdefghijklmnopqrstuvwxyz';

  it('accepts the whole order, an item and an amount', () => {
    expect(orderCancellationProblem({ order_id: 'o-1' })).toBeNull();
    expect(orderCancellationProblem({ order_id: 'o-1', cancellation_id: id })).toBeNull();
    expect(orderCancellationProblem({ order_id: 'o-1', cancellation_id: id, amount: 5 })).toBeNull();
  });

  it('refuses anything else', () => {
    for (const input of [
      null,
      [],
      'o-1',
      { order_id: '' },
      { order_id: 'o-1', extra: 1 },
      { order_id: 'o-1', cancellation_id: 'mine' },
      { order_id: 'o-1', amount: 5 },
      { order_id: 'o-1', cancellation_id: id, amount: 0 },
      { order_id: 'o-1', cancellation_id: id, amount: 1.5 },
      { order_id: 'o-1', cancellation_id: id, amount: '5' },
    ]) {
      expect(orderCancellationProblem(input), JSON.stringify(input)).not.toBeNull();
    }
  });
});
