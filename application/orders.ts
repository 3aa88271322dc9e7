import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import { normalizeCouponCode } from '../domain/coupon';
import { checkCouponUse } from '../domain/coupon-use';
import { Refusal } from '../domain/failures';
import { checkRefundWindow } from '../domain/refund-window';
import {
  canApportion,
  isItemRewardOf,
  itemCancellationPlan,
  type CancelledItem,
  type OrderCancellationPart,
  type OrderReward,
} from '../domain/partial-refund';
import type { OrderCancellation, OrderCapture, RedemptionOutcome } from '../domain/redemption';
import { pointsRefundedOf } from '../domain/redemption-view';
import type { RedemptionStatus } from '../domain/states';
import { OrderCancellations } from '../store/order-cancellations';
import { Redemptions, type RedemptionDocument } from '../store/redemptions';
import type { Catalogue } from './catalogue';
import { orderSourceOf, type OrderSource } from './order-sources';
import { RedemptionWorkflows } from './redemption-workflows';
import { cancellationIdFor, requestHashOf } from './redemption-ids';

/** Points one cancellation gave back on one redemption. */
export interface Refund {
  id: string;
  points: number;
}

export interface OrderCancelled {
  redemptions: Array<{ id: string; status: RedemptionStatus }>;
  refunds: Refund[];
  /** False when a refund this asked for is still in progress: the same request again answers once it is done. */
  settled: boolean;
}

/** Asks a redemption's workflow to cancel its order's part; undefined when it has not answered within the wait. */
type CancelInWorkflow = (
  redemptionId: string,
  cancellation: OrderCancellation,
) => Promise<RedemptionOutcome | undefined>;

/** Statuses of a redemption whose points are still on their way: part of its order cannot be refunded yet. */
const UNSETTLED: RedemptionStatus[] = ['pending', 'awaiting_order', 'redeeming', 'needs_review'];

/** A partial cancellation's id: the router refuses one without its Idempotency-Key. */
function named(cancellationId: string | undefined): string {
  if (!cancellationId) throw new Error('A partial cancellation is named by its Idempotency-Key.');
  return cancellationId;
}

/**
 * Orders that use coupons: capturing their redemptions, and refunding them when the order is cancelled. Also used by
 * the partner webhooks, which capture a coupon the same way an order does.
 */
export class OrderDesk {
  private readonly redemptions: Redemptions;
  private readonly catalogue: Catalogue;
  private readonly workflows: RedemptionWorkflows;
  private readonly cancellations: OrderCancellations;
  private readonly refundWindowSeconds: number;

  constructor(deps: { db: Db; temporal: Client; config: Config; catalogue: Catalogue }) {
    this.redemptions = new Redemptions(deps.db);
    this.catalogue = deps.catalogue;
    this.workflows = new RedemptionWorkflows(deps.temporal, deps.config);
    this.cancellations = new OrderCancellations(deps.db);
    this.refundWindowSeconds = deps.config.orderRefundWindowSeconds;
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
      const option = await this.catalogue.get(document.redemption_option_id);
      const use = checkCouponUse(document, option, capture);
      if (!use.ok) throw new Refusal(use.code, use.message);
    }
  }

  /**
   * Captures every coupon of the order or none: the coupons are checked, then an order with several holds each of
   * them before capturing any, and lets go of those it holds when one is refused. The holds and then the captures go
   * to their workflows all at once, so that a slow partner costs one fulfilment's time, not one per coupon, and the
   * holds are let go well inside their lease. A resent order captures what is left and changes nothing else.
   * `settled` is false when a capture was accepted but has not finished within the wait: the same order again answers
   * once it has.
   */
  async capture(documents: RedemptionDocument[], capture: OrderCapture) {
    await this.checkCapture(documents, capture);
    // Every coupon goes to its workflow, even one the store says this order captured already: the store can be ahead
    // of the workflow (a lost workflow task's steps wrote it), and only the workflow knows; a repeat changes nothing.
    if (documents.length > 1) await this.claimAll(documents, capture);
    const outcomes = await Promise.all(documents.map((document) => this.workflows.captureOrder(document._id, capture)));
    // A finished capture's outcome is its redemption as the capture left it; one still running is read as it stands.
    const redemptions = await Promise.all(
      documents.map((document, index) => {
        const outcome = outcomes[index];
        return outcome ? { id: outcome.id, status: outcome.status } : this.reference(document._id);
      }),
    );
    return { redemptions, settled: outcomes.every((outcome) => outcome !== undefined) };
  }

  private async claimAll(documents: RedemptionDocument[], capture: OrderCapture): Promise<void> {
    const claims = await Promise.allSettled(
      documents.map((document) => this.workflows.claimForOrder(document._id, capture)),
    );
    const refused = claims.find((claim) => claim.status === 'rejected');
    if (!refused) return;
    // A hold that cannot be released now lapses after ORDER_CLAIM_LEASE_MS.
    await Promise.allSettled(
      documents
        .filter((_document, index) => claims[index]!.status === 'fulfilled')
        .map((document) => this.workflows.releaseClaim(document._id, capture.order_id)),
    );
    throw refused.reason;
  }

  /**
   * The order was cancelled: in whole (no part), or the items or the amount named (domain/partial-refund.ts). A
   * cancellation is named by the client's Idempotency-Key, which a partial one must have: a resent one refunds nothing
   * more, and the same key with another body (another part, or the whole order) is refused. A whole cancellation
   * without a key is a resend of any other, since it refunds whatever is left. The order is the one of that id from
   * `source` (application/order-sources.ts). Answers with every redemption of the order and what this cancellation
   * refunded.
   */
  async cancelOrder(
    orderId: string,
    part: OrderCancellationPart = {},
    client: { clientId: string; idempotencyKey?: string | undefined } = { clientId: '' },
    source: OrderSource = 'merchant',
  ): Promise<OrderCancelled> {
    const documents = (await this.redemptions.findByOrderId(orderId)).filter(
      (document) => orderSourceOf(document) === source,
    );
    if (documents.length === 0) {
      const origin = source === 'merchant' ? 'the API or a till' : 'Deliverect';
      throw new Refusal('order_not_found', `No redemption was used by an order ${orderId} from ${origin}.`);
    }
    const id = client.idempotencyKey && cancellationIdFor(client.clientId, orderId, client.idempotencyKey);
    if (id) await this.refuseKeyReused(id, orderId, part);
    let settled = true;
    const by = client.clientId !== '' ? { client: client.clientId } : {};
    const cancel: CancelInWorkflow = async (redemptionId, cancellation) => {
      const outcome = await this.workflows.cancelOrder(redemptionId, { ...cancellation, ...by });
      if (outcome === undefined) settled = false;
      return outcome;
    };
    let refunds: Refund[];
    if (part.items !== undefined) refunds = await this.cancelItems(cancel, orderId, part.items, documents, named(id));
    else if (part.amount !== undefined)
      refunds = await this.cancelAmount(cancel, orderId, part.amount, documents, named(id));
    else refunds = await this.cancelWhole(cancel, orderId, documents);
    const redemptions = await Promise.all(documents.map((document) => this.reference(document._id)));
    return { redemptions, refunds, settled };
  }

  /** The key names one cancellation: sent again with another body, it is refused before anything changes. */
  private async refuseKeyReused(id: string, orderId: string, part: OrderCancellationPart): Promise<void> {
    if (await this.cancellations.sameAsFirst({ _id: id, order_id: orderId, request_hash: requestHashOf(part) })) return;
    throw new Refusal(
      'idempotency_key_reused',
      'This Idempotency-Key was already used to cancel another part of this order, or all of it.',
    );
  }

  private async cancelWhole(
    cancel: CancelInWorkflow,
    orderId: string,
    documents: RedemptionDocument[],
  ): Promise<Refund[]> {
    const refunds: Refund[] = [];
    for (const document of documents) {
      await cancel(document._id, { order_id: orderId });
      const after = await this.redemptions.get(document._id);
      const points = (after ? pointsRefundedOf(after) : 0) - pointsRefundedOf(document);
      if (points > 0) refunds.push({ id: document._id, points });
    }
    return refunds;
  }

  /** Order-level rewards, each in proportion to the share of the subtotal cancelled. */
  private async cancelAmount(
    cancel: CancelInWorkflow,
    orderId: string,
    amount: number,
    documents: RedemptionDocument[],
    cancellationId: string,
  ): Promise<Refund[]> {
    const rewards = await this.rewardsOf(documents, cancellationId);
    const targets = documents.filter((_document, index) => !isItemRewardOf(rewards[index]!));
    this.checkRefundable(targets);
    const unknown = targets.find(
      (document) =>
        document.status === 'completed' && !canApportion({ order_subtotal: document.order_subtotal ?? null }),
    );
    if (unknown) {
      throw new Refusal(
        'order_subtotal_unknown',
        `Order ${orderId} did not say its subtotal, so an amount cannot be apportioned; cancel the whole order or its items instead.`,
      );
    }
    const refunds: Refund[] = [];
    for (const document of targets) {
      const outcome = await cancel(document._id, { order_id: orderId, cancellation_id: cancellationId, amount });
      const points = outcome?.cancellation_refund ?? 0;
      if (points > 0) refunds.push({ id: document._id, points });
    }
    return refunds;
  }

  /**
   * Item rewards for the PLUs named, each in full, one per unit. Candidates are refunded one at a time and counted only
   * when this cancellation refunded them, so two cancellations at once never count the same reward.
   */
  private async cancelItems(
    cancel: CancelInWorkflow,
    orderId: string,
    items: CancelledItem[],
    documents: RedemptionDocument[],
    cancellationId: string,
  ): Promise<Refund[]> {
    const rewards = await this.rewardsOf(documents, cancellationId);
    const plan = itemCancellationPlan(items, rewards);
    const named = new Set(plan.map((line) => line.plu));
    this.checkRefundable(
      documents.filter((_document, index) => {
        const reward = rewards[index]!;
        return isItemRewardOf(reward) && named.has(reward.item_plu!);
      }),
    );
    const refunds: Refund[] = [];
    for (const { quantity, candidates } of plan) {
      let covered = 0;
      for (const id of candidates) {
        if (covered >= quantity) break;
        const outcome = await cancel(id, { order_id: orderId, cancellation_id: cancellationId });
        const points = outcome?.cancellation_refund ?? 0;
        if (points > 0) {
          covered += 1;
          refunds.push({ id, points });
        }
      }
    }
    return refunds;
  }

  private async rewardsOf(documents: RedemptionDocument[], cancellationId: string): Promise<OrderReward[]> {
    return Promise.all(
      documents.map(async (document) => {
        const option = await this.catalogue.get(document.redemption_option_id);
        const appliedHere = (document.order_cancellations ?? []).some((applied) => applied.id === cancellationId);
        return {
          id: document._id,
          type: option?.type ?? null,
          item_plu: option?.item_plu ?? null,
          refundable: document.status === 'completed' || appliedHere,
        };
      }),
    );
  }

  /**
   * Refuses a partial cancellation before it changes anything when one of the redemptions it would refund is still on
   * its way (its workflow refunds only a settled one) or past its refund window. The workflows check again.
   */
  private checkRefundable(documents: RedemptionDocument[]): void {
    for (const document of documents) {
      if (UNSETTLED.includes(document.status)) {
        throw new Refusal(
          'order_not_settled',
          `Redemption ${document._id} of this order is ${document.status}, not settled yet; cancel part of the order once it has completed, or cancel the whole order.`,
        );
      }
      if (document.status !== 'completed') continue;
      const window = checkRefundWindow(
        { id: document._id, completed_at: document.completed_at },
        this.refundWindowSeconds,
        Date.now(),
      );
      if (!window.ok) throw new Refusal(window.code, window.message);
    }
  }

  private async reference(id: string) {
    const document = (await this.redemptions.getConfirmed(id))!;
    return { id: document._id, status: document.status };
  }
}
