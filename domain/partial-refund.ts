/**
 * Partial order cancellation: which redemptions of an order a cancellation refunds, and how many points.
 *
 * - `{items: [{plu, quantity}]}`: item rewards are tied to their item (the option's `item_plu`) and one reward covers
 *   one unit, so cancelling `quantity` units of a PLU refunds up to `quantity` of the order's not-yet-refunded item
 *   rewards for that PLU, each in full. Order-level rewards are left alone: an items cancel names no prices, so there
 *   is no share of the order to refund them by.
 * - `{amount}` (minor units): order-level rewards are refunded in proportion to the share of the order's subtotal
 *   cancelled so far. A redemption keeps the cumulative amount cancelled `c` (capped at the subtotal `s`) and the
 *   points refunded `r`; after a cancel r' = floor(points × min(c, s) / s), and the refund is r' − r. Rounding down
 *   and the cap make repeated cancels sum to at most the points, and cancelling the whole subtotal refunds them all.
 *   An amount beyond what is left is clamped rather than refused: cancelling "more than the rest" means the rest, and
 *   a till that adds fees or tax to its line totals should not be told no. Item rewards are left alone.
 * - No part: the whole order, everything not refunded yet.
 */
import { isItemReward, type OptionType } from './option-types';

export interface CancelledItem {
  plu: string;
  quantity: number;
}

/** What a cancellation names of the order; neither field means the whole order. */
export interface OrderCancellationPart {
  items?: CancelledItem[];
  amount?: number;
}

/** How far an order-level redemption has been refunded by cancellations of its order. */
export interface RefundProgress {
  points: number;
  points_refunded: number;
  amount_cancelled: number;
  /** The order's subtotal when it captured the coupon; null when the order did not say. */
  order_subtotal: number | null;
}

export interface RefundStep {
  points_refunded: number;
  amount_cancelled: number;
  /** Points this cancellation gives back: r' − r, never negative. */
  refund: number;
}

/** Whether an amount can be apportioned to this redemption: only with a known, positive subtotal. */
export function canApportion(progress: Pick<RefundProgress, 'order_subtotal'>): boolean {
  return progress.order_subtotal !== null && progress.order_subtotal > 0;
}

/**
 * The refund of one cancellation of one redemption: `amount` cancelled from the order's subtotal (see above), or,
 * without an amount, the whole redemption. Integer maths throughout (BigInt for points × amount).
 */
export function refundStep(progress: RefundProgress, amount?: number): RefundStep {
  const { points, points_refunded: refunded, order_subtotal: subtotal } = progress;
  if (amount === undefined) {
    return {
      points_refunded: points,
      amount_cancelled: subtotal ?? progress.amount_cancelled,
      refund: Math.max(0, points - refunded),
    };
  }
  if (subtotal === null || subtotal <= 0) throw new Error('an amount needs the order subtotal');
  const cancelled = Math.min(progress.amount_cancelled + amount, subtotal);
  const due = Number((BigInt(points) * BigInt(cancelled)) / BigInt(subtotal));
  const after = Math.max(refunded, Math.min(due, points));
  return { points_refunded: after, amount_cancelled: cancelled, refund: after - refunded };
}

/** A redemption of the order, as the plan of a cancellation sees it. */
export interface OrderReward {
  id: string;
  type: OptionType | null;
  item_plu: string | null;
  /** Whether it can still be refunded (completed, not fully refunded), or was refunded by this very cancellation. */
  refundable: boolean;
}

export function isItemRewardOf(reward: Pick<OrderReward, 'type' | 'item_plu'>): boolean {
  return reward.type !== null && isItemReward(reward.type) && reward.item_plu !== null;
}

/**
 * For each PLU named (repeated lines added up), how many units are cancelled and the item rewards that may cover them,
 * in the order's own order. The caller refunds candidates one at a time until `quantity` of them were refunded by this
 * cancellation, so that two cancellations at once of one unit each refund two different rewards.
 */
export function itemCancellationPlan(
  items: CancelledItem[],
  rewards: OrderReward[],
): Array<{ plu: string; quantity: number; candidates: string[] }> {
  const quantities = new Map<string, number>();
  for (const { plu, quantity } of items) quantities.set(plu, (quantities.get(plu) ?? 0) + quantity);
  return [...quantities].map(([plu, quantity]) => ({
    plu,
    quantity,
    candidates: rewards
      .filter((reward) => reward.refundable && isItemRewardOf(reward) && reward.item_plu === plu)
      .map((reward) => reward.id),
  }));
}

const CANCELLATION_ID_PATTERN = /^ocx_[a-z2-7]{26}$/;

/**
 * What is wrong with an order cancellation sent to a workflow (the Temporal UI sends any JSON), or null. Plain code
 * rather than a schema, so that the update validators can run it.
 */
export function orderCancellationProblem(input: unknown): string | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return 'Send an object with order_id, and cancellation_id and amount for part of the order.';
  }
  const values = input as Record<string, unknown>;
  const unknown = Object.keys(values).filter(
    (key) => !['order_id', 'cancellation_id', 'amount', 'client'].includes(key),
  );
  if (unknown.length > 0) return `Unknown field ${unknown.join(', ')}; send order_id, cancellation_id, amount.`;
  if (typeof values.order_id !== 'string' || values.order_id === '') return 'order_id must be a non-empty string.';
  if (values.client !== undefined && typeof values.client !== 'string') return 'client must be a string.';
  const id = values.cancellation_id;
  if (id !== undefined && (typeof id !== 'string' || !CANCELLATION_ID_PATTERN.test(id))) {
    return 'cancellation_id must be an id the API made (ocx_…).';
  }
  const amount = values.amount;
  if (amount !== undefined) {
    if (id === undefined) return 'amount needs a cancellation_id.';
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
      return 'amount must be a positive integer of minor currency units.';
    }
  }
  return null;
}
