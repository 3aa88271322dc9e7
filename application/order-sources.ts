/**
 * Order ids belong to their source. An order captured through the API or one of the merchant's tills, and an order
 * Deliverect sent, may carry the same id and are still two orders: a cancellation reaches only the orders of the
 * source it came through. A Deliverect order's redemptions are those it started, each named by its orderId and the
 * programme redeemed; every other order's coupons were captured through the API or a till.
 */
import type { RedemptionDocument } from '../store/redemptions';
import { redemptionIdForPartner } from './redemption-ids';

export const ORDER_SOURCES = ['merchant', 'deliverect'] as const;
export type OrderSource = (typeof ORDER_SOURCES)[number];

export function deliverectRedemptionId(orderId: string, optionId: number): string {
  return redemptionIdForPartner('deliverect', orderId, String(optionId));
}

export function orderSourceOf(
  redemption: Pick<RedemptionDocument, '_id' | 'order_id' | 'redemption_option_id'>,
): OrderSource {
  const { _id, order_id, redemption_option_id } = redemption;
  return order_id !== null && _id === deliverectRedemptionId(order_id, redemption_option_id)
    ? 'deliverect'
    : 'merchant';
}
