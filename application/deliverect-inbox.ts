/**
 * Deliverect's order and cancellation notifications. Deliverect sends each once and never retries after any HTTP
 * answer, so a notification is recorded in the store first, exactly as received (any JSON Deliverect may send, whatever
 * its keys), and answered as soon as it is: whether Temporal is up or not, the notification is ours. Its work is then
 * handed to Temporal, to its order's workflow (workflows/deliverect-order.ts), which hands it on to the redemptions and
 * retries until they confirm it, or gives it up to the dead letters, visible through the API.
 *
 * Only getting a notification into Temporal is done here: at once after answering, and for what that could not do
 * (Temporal was down, the process died), at start-up and then every few seconds. Everything after that is Temporal's.
 */
import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { DeliverectCancel, DeliverectOrderNotification } from '../domain/deliverect';
import { PartnerNotifications, type PartnerNotification } from '../store/partner-notifications';
import { wellFormed } from '../domain/text';
import type { deliverectOrderWorkflow } from '../workflows';
import { deliverectNotificationSignal, type DeliverectNotificationRef } from '../workflows/messages';
import { cancelNotificationId, orderNotificationId, redeemedOptionIds } from './deliverect-hand-off';
import type { ApplicationDeps } from './index';
import { deliverectRedemptionId } from './order-sources';

export { deliverectRedemptionId } from './order-sources';

/** A notification as recorded: the body exactly as received, its kind, and the ids we look it up by. */
type Work = Pick<PartnerNotification, '_id' | 'kind' | 'raw' | 'order_id'>;

/** How often notifications not handed to Temporal yet (a process died, Temporal was down) are tried again. */
const HAND_OVER_EVERY_MS = 15_000;

/** Ids longer than this name their order's workflow by a digest, within what Temporal takes. */
const LONGEST_ORDER_ID_IN_WORKFLOW_ID = 200;

export function deliverectOrderWorkflowId(orderId: string): string {
  const id = wellFormed(orderId);
  if (id.length <= LONGEST_ORDER_ID_IN_WORKFLOW_ID) return `deliverect-order-${id}`;
  return `deliverect-order-sha256-${createHash('sha256').update(id).digest('hex')}`;
}

export class DeliverectInbox {
  private readonly notifications: PartnerNotifications;
  private readonly temporal: Client;
  private readonly config: Config;
  private readonly logger: Logger;

  constructor(deps: ApplicationDeps) {
    this.notifications = new PartnerNotifications(deps.db);
    this.temporal = deps.temporal;
    this.config = deps.config;
    this.logger = deps.logger;
  }

  /** Records an order notification (raw: the body as received); its redemptions start on their own. */
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

  /** Records a cancellation; the refunds run on their own, once its order has come. */
  receiveCancel(cancel: DeliverectCancel, raw: string): Promise<void> {
    return this.receive(
      { _id: cancelNotificationId(cancel.orderId), kind: 'cancel', raw, order_id: cancel.orderId },
      [],
    );
  }

  /**
   * Hands to Temporal what was recorded but not handed over; returns how many it handed over. One that Temporal keeps
   * refusing until the hand-off deadline after it was received goes to the dead letters (`hand_off_failed`).
   */
  async handOverPending(): Promise<number> {
    let handedOver = 0;
    for (const notification of await this.notifications.notHandedOver('deliverect')) {
      // One that Temporal refuses waits for the next pass and holds up none of the others.
      const given = await this.handOver(notification).then(
        () => true,
        async (error: unknown) => {
          const waited = Date.now() - notification.received_at.getTime();
          if (waited >= this.config.deliverect.handOffDeadlineMs) {
            await this.notifications.deadLetter(
              notification._id,
              {
                reason: 'hand_off_failed',
                message: `Temporal did not take it within the hand-off deadline: ${(error as Error)?.message ?? error}`,
              },
              'received',
            );
          }
          return this.failedHandOver(notification, error);
        },
      );
      if (given) handedOver += 1;
    }
    if (handedOver > 0) this.logger.info({ count: handedOver }, 'handed Deliverect notifications to Temporal');
    return handedOver;
  }

  /**
   * Hands over at once and then now and then, until stopped. A pass that fails (the store is unreachable, say) is
   * logged, and the next one tries again: nothing here stops the process.
   */
  handOverContinuously(everyMs = HAND_OVER_EVERY_MS): () => void {
    let running = false;
    const pass = () => {
      if (running) return;
      running = true;
      this.handOverPending()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'handing Deliverect notifications over failed'))
        .finally(() => (running = false));
    };
    const timer = setInterval(pass, everyMs);
    timer.unref();
    pass();
    return () => clearInterval(timer);
  }

  /** The notifications given up, newest first, with why (their bodies, which name the customer, are not shown). */
  deadLetters(page: { skip: number; limit: number }) {
    return this.notifications.deadLetters(page);
  }

  /**
   * Records the notification and hands it over without making the sender wait. A notification with the same id again
   * is the same work: what is handed over is the one recorded first, so a resent order with another body cannot start
   * redemptions it never recorded.
   */
  private async receive(work: Work, redemptionIds: string[]): Promise<void> {
    const first = (await this.notifications.record({ ...work, partner: 'deliverect', redemption_ids: redemptionIds }))
      ? work
      : ((await this.notifications.get(work._id)) ?? work);
    this.handOver(first).catch((error: unknown) => this.failedHandOver(first, error));
  }

  /** Signals the notification to its order's workflow, starting the workflow if it is not running. */
  private async handOver(work: Work): Promise<void> {
    const notification: DeliverectNotificationRef = { id: work._id, kind: work.kind === 'order' ? 'order' : 'cancel' };
    await this.temporal.workflow.signalWithStart<typeof deliverectOrderWorkflow, [DeliverectNotificationRef]>(
      'deliverectOrderWorkflow',
      {
        workflowId: deliverectOrderWorkflowId(work.order_id),
        taskQueue: this.config.temporal.taskQueue,
        args: [
          {
            orderId: work.order_id,
            handOffDeadlineMs: this.config.deliverect.handOffDeadlineMs,
            orphanCancelTtlMs: this.config.deliverect.orphanCancelTtlMs,
          },
        ],
        signal: deliverectNotificationSignal,
        signalArgs: [notification],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        staticSummary: `Deliverect order ${work.order_id}: hand its notifications to its redemptions`,
      },
    );
    await this.notifications.markHandedOver(work._id);
  }

  private failedHandOver(work: Work, error: unknown): false {
    this.logger.warn({ err: error, notification: work._id }, 'Deliverect notification not handed to Temporal yet');
    return false;
  }
}
