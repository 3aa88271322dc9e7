/**
 * Deliverect's order and cancellation notifications. Deliverect sends each once and never retries after any HTTP
 * answer, so a notification is recorded in MongoDB before anything else, its work handed to Temporal (a workflow per
 * redeemed programme, named by Deliverect's orderId and programId so a duplicate delivery starts nothing), and only
 * then answered. The body is kept exactly as received (any JSON Deliverect may send, whatever its keys), and read
 * back from there. A notification recorded but not finished (the process died in between, Temporal was down) is
 * resumed at start-up and then every few seconds; a cancellation that arrives before its order waits for it.
 */
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { OrderDesk } from './orders';
import { partiesOf } from './redemption-parties';
import {
  customerIdentifierOf,
  deliverectCancelSchema,
  deliverectOrderNotificationSchema,
  type DeliverectCancel,
  type DeliverectOrderNotification,
} from '../domain/deliverect';
import type { CreateRedemptionRequest, OrderCapture } from '../domain/redemption';
import { PartnerNotifications, type PartnerNotification } from '../store/partner-notifications';
import { Redemptions } from '../store/redemptions';
import type { ApplicationDeps } from './index';
import { RedemptionWorkflows } from './redemption-workflows';
import { redemptionIdForPartner } from './redemption-ids';

/** A notification as recorded: the body exactly as received, its kind, and the ids we look it up by. */
type Work = Pick<PartnerNotification, '_id' | 'kind' | 'raw' | 'order_id'>;

/** The notification of each kind, read back from the raw body it was recorded with. */
const PARSE = {
  order: (raw: string) => deliverectOrderNotificationSchema.parse(JSON.parse(raw)),
  cancel: (raw: string) => deliverectCancelSchema.parse(JSON.parse(raw)),
};

/** How often notifications left unfinished (a process died, a dependency was down) are tried again. */
const RESUME_EVERY_MS = 15_000;

const orderNotificationId = (orderId: string) => `deliverect:order:${orderId}`;
const cancelNotificationId = (orderId: string) => `deliverect:cancel:${orderId}`;

/** Our option ids are integers; a programId that is not one cannot name one of our programmes. */
function redeemedOptionIds(notification: DeliverectOrderNotification): number[] {
  const ids = notification.order.discounts.map((discount) => discount.programId.trim());
  return [...new Set(ids.filter((id) => /^\d{1,9}$/.test(id)).map(Number))];
}

export function deliverectRedemptionId(orderId: string, optionId: number): string {
  return redemptionIdForPartner('deliverect', orderId, String(optionId));
}

export class DeliverectInbox {
  private readonly notifications: PartnerNotifications;
  private readonly redemptions: Redemptions;
  private readonly db: Db;
  private readonly workflows: RedemptionWorkflows;
  private readonly orders: OrderDesk;
  private readonly logger: Logger;

  /** `orders` cancels what a cancelled order redeemed, as POST /v1/orders/{id}/cancel does. */
  constructor(deps: ApplicationDeps, orders: OrderDesk) {
    this.notifications = new PartnerNotifications(deps.db);
    this.redemptions = new Redemptions(deps.db);
    this.db = deps.db;
    this.workflows = new RedemptionWorkflows(deps.temporal, deps.config);
    this.orders = orders;
    this.logger = deps.logger;
  }

  /** Records an order notification (raw: the body as received), then starts its redemptions. */
  receiveOrder(notification: DeliverectOrderNotification, raw: string): Promise<void> {
    const redemptionIds = redeemedOptionIds(notification).map((optionId) =>
      deliverectRedemptionId(notification.orderId, optionId),
    );
    const work: Work = {
      _id: orderNotificationId(notification.orderId),
      kind: 'order',
      raw,
      order_id: notification.orderId,
    };
    return this.receive(work, redemptionIds);
  }

  receiveCancel(cancel: DeliverectCancel, raw: string): Promise<void> {
    return this.receive(
      { _id: cancelNotificationId(cancel.orderId), kind: 'cancel', raw, order_id: cancel.orderId },
      [],
    );
  }

  /** Finishes what was recorded but not handed over; returns how many it finished. */
  async resumePending(): Promise<number> {
    let finished = 0;
    for (const work of await this.notifications.pending('deliverect')) {
      if (await this.handOver(work)) finished += 1;
    }
    if (finished > 0) this.logger.info({ count: finished }, 'resumed Deliverect notifications');
    return finished;
  }

  /**
   * Resumes unfinished notifications at once and then now and then, until stopped. A pass that fails (the store is
   * unreachable, say) is logged, and the next one tries again: nothing here stops the process.
   */
  resumeContinuously(everyMs = RESUME_EVERY_MS): () => void {
    let running = false;
    const pass = () => {
      if (running) return;
      running = true;
      this.resumePending()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'resuming Deliverect notifications failed'))
        .finally(() => (running = false));
    };
    const timer = setInterval(pass, everyMs);
    timer.unref();
    pass();
    return () => clearInterval(timer);
  }

  /**
   * Records the notification and hands it over. A notification with the same id again is the same work: what is handed
   * over is the one recorded first, so a resent order with another body cannot start redemptions it never recorded.
   */
  private async receive(work: Work, redemptionIds: string[]): Promise<void> {
    const first = (await this.notifications.record({ ...work, partner: 'deliverect', redemption_ids: redemptionIds }))
      ? work
      : ((await this.notifications.get(work._id)) ?? work);
    await this.handOver(first);
  }

  /** Hands the work to Temporal; false when it must wait (a cancellation whose order has not arrived). */
  private async handOver(work: Work): Promise<boolean> {
    if (work.kind === 'order') {
      await this.startOrder(work);
      // A cancellation that arrived before its order waited for it.
      const cancel = await this.notifications.get(cancelNotificationId(work.order_id));
      if (cancel?.state === 'received') await this.handOver(cancel);
      return true;
    }
    const cancel = PARSE.cancel(work.raw);
    if (cancel.isCancelled && !(await this.refundOrder(cancel.orderId))) return false;
    await this.notifications.markDone(work._id);
    return true;
  }

  private async startOrder(work: Work): Promise<void> {
    await this.startRedemptions(PARSE.order(work.raw));
    await this.notifications.markDone(work._id);
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
    for (const optionId of redeemedOptionIds(notification)) {
      const request: CreateRedemptionRequest = {
        ...(customer.field === 'email' ? { customer_email: customer.value } : { phone_number: customer.value }),
        redemption_option_id: optionId,
        delay_points_deduction: false,
      };
      await this.workflows.startWithOrder(
        deliverectRedemptionId(notification.orderId, optionId),
        request,
        order,
        await partiesOf(this.db, request),
      );
    }
  }

  /**
   * Refunds every redemption of the order: those Deliverect told us of, and any other that order captured. False when
   * the order is not known yet, so the cancellation waits for it.
   */
  private async refundOrder(orderId: string): Promise<boolean> {
    const order = await this.notifications.get(orderNotificationId(orderId));
    if (order?.state === 'received') await this.startOrder(order);
    if (!order && (await this.redemptions.findByOrderId(orderId)).length === 0) return false;
    // The whole order, as POST /v1/orders/{id}/cancel without a body; Deliverect names no part of an order.
    await this.orders.requestWholeCancellation(orderId, order?.redemption_ids ?? []);
    return true;
  }
}
