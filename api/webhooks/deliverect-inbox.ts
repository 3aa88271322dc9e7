/**
 * Deliverect's order and cancellation notifications. Deliverect sends each once and never retries after any HTTP
 * answer, so a notification is recorded in MongoDB before anything else, its work handed to Temporal (a workflow per
 * redeemed programme, named by Deliverect's orderId and programId so a duplicate delivery starts nothing), and only
 * then answered. A notification recorded but not finished (the process died in between) is resumed at start-up.
 */
import type { Logger } from 'pino';
import { customerIdentifierOf, type DeliverectCancel, type DeliverectOrderNotification } from '../../domain/deliverect';
import type { CreateRedemptionRequest, OrderCapture } from '../../domain/redemption';
import { PartnerNotifications, type PartnerNotification } from '../../store/partner-notifications';
import { Redemptions } from '../../store/redemptions';
import type { AppDeps } from '../app';
import { RedemptionWorkflows, redemptionIdForPartner } from '../redemption-workflows';

type Notification = PartnerNotification<DeliverectOrderNotification | DeliverectCancel>;

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
  private readonly workflows: RedemptionWorkflows;
  private readonly logger: Logger;

  constructor(deps: AppDeps) {
    this.notifications = new PartnerNotifications(deps.db);
    this.redemptions = new Redemptions(deps.db);
    this.workflows = new RedemptionWorkflows(deps.temporal, deps.config);
    this.logger = deps.logger;
  }

  async receiveOrder(notification: DeliverectOrderNotification): Promise<void> {
    const id = orderNotificationId(notification.orderId);
    const redemptionIds = redeemedOptionIds(notification).map((optionId) =>
      deliverectRedemptionId(notification.orderId, optionId),
    );
    await this.notifications.record({
      _id: id,
      partner: 'deliverect',
      kind: 'order',
      payload: notification,
      redemption_ids: redemptionIds,
    });
    await this.startRedemptions(notification);
    await this.notifications.markDone(id);
  }

  async receiveCancel(cancel: DeliverectCancel): Promise<void> {
    const id = cancelNotificationId(cancel.orderId);
    await this.notifications.record({
      _id: id,
      partner: 'deliverect',
      kind: 'cancel',
      payload: cancel,
      redemption_ids: [],
    });
    if (cancel.isCancelled) await this.refundOrder(cancel.orderId);
    await this.notifications.markDone(id);
  }

  /** Finishes what a previous process recorded but did not hand over. */
  async resumePending(): Promise<number> {
    const pending = await this.notifications.pending<DeliverectOrderNotification | DeliverectCancel>('deliverect');
    for (const notification of pending as Notification[]) {
      if (notification.kind === 'order')
        await this.startRedemptions(notification.payload as DeliverectOrderNotification);
      else if ((notification.payload as DeliverectCancel).isCancelled) {
        await this.refundOrder((notification.payload as DeliverectCancel).orderId);
      }
      await this.notifications.markDone(notification._id);
    }
    if (pending.length > 0) this.logger.info({ count: pending.length }, 'resumed Deliverect notifications');
    return pending.length;
  }

  private async startRedemptions(notification: DeliverectOrderNotification): Promise<void> {
    const customer = customerIdentifierOf(notification.order);
    const order: OrderCapture = {
      order_id: notification.orderId,
      subtotal: notification.order.subTotal,
      source_partner: 'deliverect',
      ...(notification.locationId || notification.order.location
        ? { branch_id: notification.locationId ?? notification.order.location }
        : {}),
      ...(notification.accountId || notification.order.account
        ? { business_ref: notification.accountId ?? notification.order.account }
        : {}),
    };
    for (const optionId of redeemedOptionIds(notification)) {
      const request: CreateRedemptionRequest = {
        ...(customer.field === 'email' ? { customer_email: customer.value } : { phone_number: customer.value }),
        redemption_option_id: optionId,
        delay_points_deduction: false,
      };
      await this.workflows.startWithOrder(deliverectRedemptionId(notification.orderId, optionId), request, order);
    }
  }

  /** Refunds every redemption of the order: those Deliverect told us of, and any other that order captured. */
  private async refundOrder(orderId: string): Promise<void> {
    const order = await this.notifications.get<DeliverectOrderNotification>(orderNotificationId(orderId));
    const ids = new Set(order?.redemption_ids ?? []);
    for (const redemption of await this.redemptions.findByOrderId(orderId)) ids.add(redemption._id);
    for (const redemptionId of ids) await this.workflows.requestOrderCancellation(redemptionId, orderId);
  }
}
