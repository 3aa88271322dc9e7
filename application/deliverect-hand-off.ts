/**
 * The work Deliverect's recorded notifications ask for, done for each order's workflow (workflows/deliverect-order.ts)
 * through its activities: an order starts the redemption of each programme it redeemed, and its cancellation refunds
 * them. Each is done once the redemptions' workflows have confirmed it; until then it fails, for Temporal to retry.
 * The bodies are read back from the store, exactly as Deliverect sent them.
 */
import type { Db } from 'mongodb';
import type { z } from 'zod';
import {
  customerIdentifierOf,
  deliverectCancelSchema,
  deliverectOrderNotificationSchema,
  type DeliverectOrderNotification,
} from '../domain/deliverect';
import { Refusal } from '../domain/failures';
import type { DeadLetterReason, HandOff } from '../domain/partner-inbox';
import type { CreateRedemptionRequest, OrderCapture } from '../domain/redemption';
import { PartnerNotifications, type PartnerNotification } from '../store/partner-notifications';
import { Redemptions } from '../store/redemptions';
import type { ApplicationDeps } from './index';
import { deliverectRedemptionId } from './order-sources';
import { Catalogue } from './catalogue';
import { partiesOf } from './redemption-parties';
import { RedemptionWorkflows } from './redemption-workflows';

export const orderNotificationId = (orderId: string) => `deliverect:order:${orderId}`;
export const cancelNotificationId = (orderId: string) => `deliverect:cancel:${orderId}`;

/** Our option ids are integers; a programId that is not one cannot name one of our programmes. */
export function redeemedOptionIds(notification: DeliverectOrderNotification): number[] {
  const ids = notification.order.discounts.map((discount) => discount.programId.trim());
  return [...new Set(ids.filter((id) => /^\d{1,9}$/.test(id)).map(Number))];
}

const DONE: HandOff = { outcome: 'done' };

function refused(reason: string, message: string): HandOff {
  return { outcome: 'refused', reason, message };
}

/** The notification of each kind, read back from the body it was recorded with; undefined when it cannot be. */
function readBack<S extends z.ZodType>(schema: S, raw: string): z.output<S> | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const unreadable = (id: string) =>
  refused('notification_unreadable', `The body recorded for ${id} is not a notification we can read.`);

export class DeliverectHandOff {
  private readonly notifications: PartnerNotifications;
  private readonly redemptions: Redemptions;
  private readonly workflows: RedemptionWorkflows;
  private readonly lookups: { db: Db; catalogue: Catalogue };

  constructor(deps: ApplicationDeps) {
    this.notifications = new PartnerNotifications(deps.db);
    this.redemptions = new Redemptions(deps.db);
    this.workflows = new RedemptionWorkflows(deps.temporal, deps.config);
    this.lookups = { db: deps.db, catalogue: new Catalogue(deps) };
  }

  async startOrder(notificationId: string): Promise<HandOff> {
    const recorded = await this.notifications.get(notificationId);
    const notification = recorded && readBack(deliverectOrderNotificationSchema, recorded.raw);
    if (!notification) return unreadable(notificationId);
    await this.startRedemptions(notification);
    await this.notifications.markDone(notificationId);
    return DONE;
  }

  /**
   * Refunds every redemption the cancelled order started: the redemption's own workflow confirms a refund by taking
   * it, its orders workflow by answering it. `order_unknown` when no order was recorded for it; a refusal (the refund
   * window has passed) once every other redemption has taken its refund.
   */
  async cancelOrder(notificationId: string): Promise<HandOff> {
    const recorded = await this.notifications.get(notificationId);
    const cancel = recorded && readBack(deliverectCancelSchema, recorded.raw);
    if (!cancel) return unreadable(notificationId);
    if (cancel.isCancelled) {
      const order = await this.notifications.get(orderNotificationId(cancel.orderId));
      if (!order) return { outcome: 'order_unknown' };
      const refunds = await this.refundOrder(order, cancel.orderId);
      if (refunds.outcome !== 'done') return refunds;
    }
    await this.notifications.markDone(notificationId);
    return DONE;
  }

  deadLetter(notificationId: string, why: DeadLetterReason): Promise<void> {
    return this.notifications.deadLetter(notificationId, why);
  }

  private async refundOrder(order: PartnerNotification, orderId: string): Promise<HandOff> {
    if (order.state === 'dead_letter') {
      return refused('order_dead_lettered', `Order ${orderId} could not be handed over; see its own dead letter.`);
    }
    // An order recorded but not handed over yet (Temporal was down) starts its redemptions first.
    if (order.state !== 'done') {
      const started = await this.startOrder(order._id);
      if (started.outcome !== 'done') return started;
    }
    const answers = await Promise.allSettled(order.redemption_ids.map((id) => this.refund(id, orderId)));
    const problems = answers.flatMap((answer) => (answer.status === 'rejected' ? [answer.reason as unknown] : []));
    const failure = problems.find((problem) => !(problem instanceof Refusal));
    if (failure) throw failure;
    if (problems.length === 0) return DONE;
    const [first] = problems as Refusal[];
    return refused(first!.code, problems.map((problem) => (problem as Refusal).message).join(' '));
  }

  /** One redemption's refund, confirmed by its workflow; nothing for one rejected before it used the order. */
  private async refund(redemptionId: string, orderId: string): Promise<void> {
    const stored = await this.redemptions.get(redemptionId);
    if (stored?.status === 'rejected') return;
    if (!(await this.workflows.handOverOrderCancellation(redemptionId, orderId))) {
      throw new Error(`The workflow of redemption ${redemptionId} has not confirmed its refund yet.`);
    }
  }

  private async startRedemptions(notification: DeliverectOrderNotification): Promise<void> {
    const customer = customerIdentifierOf(notification.order);
    // Deliverect names the location and account at the top level and in the order; the first one given counts.
    const branch = notification.locationId || notification.order.location;
    const business = notification.accountId || notification.order.account;
    const order: OrderCapture = {
      order_id: notification.orderId,
      subtotal: notification.order.subTotal,
      source_partner: 'deliverect',
      ...(branch ? { branch_id: branch } : {}),
      ...(business ? { business_ref: business } : {}),
    };
    await Promise.all(
      redeemedOptionIds(notification).map(async (optionId) => {
        const request: CreateRedemptionRequest = {
          ...(customer.field === 'email' ? { customer_email: customer.value } : { phone_number: customer.value }),
          redemption_option_id: optionId,
          delay_points_deduction: false,
        };
        await this.workflows.startWithOrder(
          deliverectRedemptionId(notification.orderId, optionId),
          request,
          order,
          await partiesOf(this.lookups, request),
        );
      }),
    );
  }
}
