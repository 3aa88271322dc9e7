/**
 * An order with several coupons holds each of them before it captures any (see claimForOrderUpdate). While held, no
 * other order can use the coupon and it does not expire for the holding order. A hold lapses after
 * ORDER_CLAIM_LEASE_MS, so an API process that dies between the claims and the captures blocks nothing for long.
 */
import { condition } from '@temporalio/workflow';
import { ORDER_CLAIM_LEASE_MS } from '../domain/coupon-use';

export class CouponClaim {
  private hold: { order_id: string; until: number } | undefined;

  /** The order holding the coupon now; null when none does or its hold lapsed. */
  get holder(): string | null {
    return this.hold && Date.now() < this.hold.until ? this.hold.order_id : null;
  }

  take(orderId: string): void {
    this.hold = { order_id: orderId, until: Date.now() + ORDER_CLAIM_LEASE_MS };
  }

  /** The order lets go: it captured the coupon, or another of its coupons was refused. */
  letGo(orderId: string): void {
    if (this.hold?.order_id === orderId) this.hold = undefined;
  }

  /** Waits while an order holds the coupon, until `done`, the order lets go, or the hold lapses. */
  async whileHeld(done: () => boolean): Promise<void> {
    while (!done() && this.holder !== null) await this.wait(done);
    if (!done()) this.hold = undefined;
  }

  /** One wait for the holding order: until `done`, it lets go, or its hold lapses. */
  wait(done: () => boolean = () => false): Promise<boolean> {
    const { order_id, until } = this.hold!;
    return condition(() => done() || this.hold === undefined, until - Date.now(), {
      summary: `Order ${order_id} holds the coupon until it captures or lets go`,
    });
  }
}
