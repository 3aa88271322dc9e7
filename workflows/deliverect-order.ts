/**
 * One Deliverect order's notifications, as the inbox hands them over (application/deliverect-inbox.ts): the order
 * starts the redemptions of the programmes it redeemed, and its cancellation refunds them. Each hand-off is an activity
 * that returns once the redemptions' workflows have confirmed the work; Temporal retries it until they have, up to the
 * hand-off deadline. A cancellation of an order we have not seen waits for it up to the orphan TTL. What cannot be
 * handed over goes to the inbox's dead letters, with why, and holds up no other order: each has its own workflow,
 * `deliverect-order-<orderId>`, which ends once it has handed over what it was sent; a later notification starts it
 * again. It carries notification ids only: the bodies, with the customer's identifiers, stay in the store.
 */
import { ActivityFailure, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { DeliverectHandOffActivities } from '../activities/deliverect-hand-off';
import type { DeadLetterReason, HandOff } from '../domain/partner-inbox';
import { deliverectNotificationSignal, type DeliverectNotificationRef } from './messages';

export interface DeliverectOrderInput {
  orderId: string;
  /** How long a hand-off is retried before its notification goes to the dead letters. */
  handOffDeadlineMs: number;
  /** How long a cancellation waits for an order we have not seen before it goes to the dead letters. */
  orphanCancelTtlMs: number;
}

type Kind = DeliverectNotificationRef['kind'];

export async function deliverectOrderWorkflow(input: DeliverectOrderInput): Promise<void> {
  const handOff = proxyActivities<DeliverectHandOffActivities>({
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: input.handOffDeadlineMs,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  // A dead letter is written however long the store takes.
  const { deadLetterDeliverectNotification } = proxyActivities<DeliverectHandOffActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  const waiting: Partial<Record<Kind, string>> = {};
  const handled = new Set<string>();
  setHandler(deliverectNotificationSignal, ({ id, kind }) => {
    if (!handled.has(id)) waiting[kind] ??= id;
  });

  /** The hand-off's outcome; a refusal, or a hand-off still failing at the deadline, goes to the dead letters. */
  async function handOver(kind: Kind, attempt: (notificationId: string) => Promise<HandOff>): Promise<HandOff> {
    const notificationId = waiting[kind]!;
    let outcome: HandOff;
    try {
      outcome = await attempt(notificationId);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      // A timeout's cause is the last attempt's failure.
      const last = error.cause?.cause instanceof Error ? error.cause.cause : error.cause;
      const cause = last?.message ?? error.message;
      outcome = { outcome: 'refused', reason: 'hand_off_failed', message: `Still failing at the deadline: ${cause}` };
    }
    if (outcome.outcome === 'refused') await deadLetter(notificationId, outcome);
    if (outcome.outcome !== 'order_unknown') settle(kind, notificationId);
    return outcome;
  }

  function settle(kind: Kind, notificationId: string): void {
    handled.add(notificationId);
    delete waiting[kind];
  }

  async function deadLetter(notificationId: string, { reason, message }: DeadLetterReason): Promise<void> {
    await deadLetterDeliverectNotification({ notificationId, why: { reason, message } });
  }

  await condition(() => waiting.order !== undefined || waiting.cancel !== undefined);
  // The order first: its cancellation refunds the redemptions it started.
  while (waiting.order !== undefined || waiting.cancel !== undefined) {
    if (waiting.order !== undefined) {
      await handOver('order', (notificationId) => handOff.handOverDeliverectOrder({ notificationId }));
      continue;
    }
    const cancelled = await handOver('cancel', (notificationId) =>
      handOff.handOverDeliverectCancel({ notificationId }),
    );
    if (cancelled.outcome !== 'order_unknown') continue;
    const orderCame = await condition(() => waiting.order !== undefined, input.orphanCancelTtlMs, {
      summary: `Wait for order ${input.orderId}, which its cancellation came before`,
    });
    if (orderCame) continue;
    const cancelId = waiting.cancel!;
    await deadLetter(cancelId, {
      reason: 'order_never_seen',
      message: `No order ${input.orderId} came within ${input.orphanCancelTtlMs / 1000} s of its cancellation.`,
    });
    settle('cancel', cancelId);
  }
}
