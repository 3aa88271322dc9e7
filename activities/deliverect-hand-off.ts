/**
 * The hand-offs of Deliverect's notifications, run by each order's workflow (workflows/deliverect-order.ts). Each one
 * returns once the redemptions' workflows have confirmed the work, or with the refusal that ends it; anything else
 * (a workflow that has not answered yet, the store or Temporal down) fails the attempt, and Temporal retries it.
 */
import type { DeadLetterReason, HandOff } from '../domain/partner-inbox';

/** The inbox's use cases, given by the worker's composition (application/deliverect-hand-off.ts). */
export interface DeliverectHandOffPorts {
  /** Starts the redemptions of the recorded order notification (each once, however often) and marks it done. */
  startOrder(notificationId: string): Promise<HandOff>;
  /** Refunds what the cancelled order redeemed, each redemption's workflow confirming it, and marks it done. */
  cancelOrder(notificationId: string): Promise<HandOff>;
  deadLetter(notificationId: string, why: DeadLetterReason): Promise<void>;
}

export function createDeliverectHandOff(ports: DeliverectHandOffPorts) {
  return {
    handOverDeliverectOrder({ notificationId }: { notificationId: string }): Promise<HandOff> {
      return ports.startOrder(notificationId);
    },

    handOverDeliverectCancel({ notificationId }: { notificationId: string }): Promise<HandOff> {
      return ports.cancelOrder(notificationId);
    },

    deadLetterDeliverectNotification({
      notificationId,
      why,
    }: {
      notificationId: string;
      why: DeadLetterReason;
    }): Promise<void> {
      return ports.deadLetter(notificationId, why);
    },
  };
}

export type DeliverectHandOffActivities = ReturnType<typeof createDeliverectHandOff>;
