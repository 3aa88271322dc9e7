import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import { normalizeCouponCode } from '../domain/coupon';
import { checkCouponUse } from '../domain/coupon-use';
import { Refusal } from '../domain/failures';
import type { OrderCapture } from '../domain/redemption';
import { Options } from '../store/options';
import { Redemptions, type RedemptionDocument } from '../store/redemptions';
import { RedemptionWorkflows } from './redemption-workflows';

/**
 * Orders that use coupons: capturing their redemptions, and refunding them when the order is cancelled. Also used by
 * the partner webhooks, which capture a coupon the same way an order does.
 */
export class OrderDesk {
  private readonly redemptions: Redemptions;
  private readonly options: Options;
  private readonly workflows: RedemptionWorkflows;

  constructor(deps: { db: Db; temporal: Client; config: Config }) {
    this.redemptions = new Redemptions(deps.db);
    this.options = new Options(deps.db);
    this.workflows = new RedemptionWorkflows(deps.temporal, deps.config);
  }

  /** The redemptions behind the codes; an unknown or malformed code is a 404 naming it. */
  async redemptionsOfCoupons(codes: string[]): Promise<RedemptionDocument[]> {
    const documents: RedemptionDocument[] = [];
    for (const code of codes) {
      const canonical = normalizeCouponCode(code);
      const document = canonical ? await this.redemptions.findByCouponCode(canonical) : null;
      if (!document) throw new Refusal('coupon_not_found', `Coupon ${code} is not one we issued.`);
      if (!documents.some((known) => known._id === document._id)) documents.push(document);
    }
    return documents;
  }

  /** Refuses the whole order before capturing anything when one of its coupons cannot be used by it. */
  async checkCapture(documents: RedemptionDocument[], capture: OrderCapture): Promise<void> {
    for (const document of documents) {
      const option = await this.options.get(document.redemption_option_id);
      const use = checkCouponUse(document, option, capture);
      if (!use.ok) throw new Refusal(use.code, use.message);
    }
  }

  /**
   * Captures every coupon of the order or none: the coupons are checked, then an order with several holds each of
   * them before capturing any, and lets go of those it holds when one is refused. A resent order captures what is left.
   */
  async capture(documents: RedemptionDocument[], capture: OrderCapture) {
    await this.checkCapture(documents, capture);
    const uncaptured = documents.filter((document) => document.order_id !== capture.order_id);
    if (uncaptured.length > 1) await this.claimAll(uncaptured, capture);
    for (const document of uncaptured) await this.workflows.captureOrder(document._id, capture);
    return Promise.all(documents.map((document) => this.reference(document._id)));
  }

  private async claimAll(documents: RedemptionDocument[], capture: OrderCapture): Promise<void> {
    const claimed: string[] = [];
    try {
      for (const document of documents) {
        await this.workflows.claimForOrder(document._id, capture);
        claimed.push(document._id);
      }
    } catch (error) {
      // A hold that cannot be released now lapses after ORDER_CLAIM_LEASE_MS.
      await Promise.allSettled(claimed.map((id) => this.workflows.releaseClaim(id, capture.order_id)));
      throw error;
    }
  }

  async cancelOrder(orderId: string) {
    const documents = await this.redemptions.findByOrderId(orderId);
    if (documents.length === 0) throw new Refusal('order_not_found', `No redemption was used by order ${orderId}.`);
    const results = [];
    for (const document of documents) {
      await this.workflows.cancelOrder(document._id, orderId);
      results.push(await this.reference(document._id));
    }
    return results;
  }

  private async reference(id: string) {
    const document = (await this.redemptions.get(id))!;
    return { id: document._id, status: document.status };
  }
}
