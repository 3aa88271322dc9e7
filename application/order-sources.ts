/** A Deliverect order's redemptions are those it started, each named by its orderId and the programme redeemed. */
import { redemptionIdForPartner } from './redemption-workflows';

export function deliverectRedemptionId(orderId: string, optionId: number): string {
  return redemptionIdForPartner('deliverect', orderId, String(optionId));
}
