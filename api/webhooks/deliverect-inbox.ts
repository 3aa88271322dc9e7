/**
 * Deliverect's order and cancellation notifications. Deliverect sends each once and never retries after any HTTP
 * answer, so a notification is recorded in MongoDB before anything else, its work handed to Temporal (a workflow per
 * redeemed programme, named by Deliverect's orderId and programId so a duplicate delivery starts nothing), and only
 * then answered. A notification recorded but not finished (the process died in between) is resumed at start-up.
 */
import type { Logger } from 'pino';
import { customerIdentifierOf, type DeliverectCancel, type DeliverectOrderNotification } from '../../domain/deliverect';
import type { CreateRedemptionRequest, OrderCapture } from '../../domain/redemption';
import { PartnerNotifications } from '../../store/partner-notifications';
import { Redemptions } from '../../store/redemptions';
import type { AppDeps } from '../app';
import { RedemptionWorkflows, redemptionIdForPartner } from '../redemption-workflows';

/** A recorded notification and the work it asks for. */
type Work =
  | { _id: string; kind: 'order'; payload: DeliverectOrderNotification }
  | { _id: string; kind: 'cancel'; payload: DeliverectCancel };

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

  receiveOrder(notification: DeliverectOrderNotification): Promise<void> {
    const redemptionIds = redeemedOptionIds(notification).map((optionId) =>
      deliverectRedemptionId(notification.orderId, optionId),
    );
    return this.receive(
      { _id: orderNotificationId(notification.orderId), kind: 'order', payload: notification },
      redemptionIds,
    );
  }

  receiveCancel(cancel: DeliverectCancel): Promise<void> {
    return this.receive({ _id: cancelNotificationId(cancel.orderId), kind: 'cancel', payload: cancel }, []);
  }

  /** Finishes what a previous process recorded but did not hand over. */
  async resumePending(): Promise<number> {
    // Recorded by `receive`, so each has the kind and payload of a Work.
    const pending = (await this.notifications.pending<Work['payload']>('deliverect')) as Work[];
    for (const work of pending) await this.handOver(work);
    if (pending.length > 0) this.logger.info({ count: pending.length }, 'resumed Deliverect notifications');
    return pending.length;
  }

  private async receive(work: Work, redemptionIds: string[]): Promise<void> {
    await this.notifications.record<Work['payload']>({ ...work, partner: 'deliverect', redemption_ids: redemptionIds });
    await this.handOver(work);
  }

  private async handOver(work: Work): Promise<void> {
    if (work.kind === 'order') await this.startRedemptions(work.payload);
    else if (work.payload.isCancelled) await this.refundOrder(work.payload.orderId);
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
