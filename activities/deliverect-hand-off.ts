/**
 * The hand-offs of Deliverect's notifications, run by each order's workflow (workflows/deliverect-order.ts). Each one
 * returns once the redemptions' workflows have confirmed the work, or with the refusal that ends it; anything else
 * (a workflow that has not answered yet, the store or Temporal down) fails the attempt, and Temporal retries it.
 */
import { Context } from '@temporalio/activity';
import type { DeadLetterReason, HandOff } from '../domain/partner-inbox';

/** The inbox's use cases, given by the worker's composition (application/deliverect-hand-off.ts). */
export interface DeliverectHandOffPorts {
  /**
   * Starts the redemptions of the recorded order notification (each once, however often) and marks it done. `signal`
   * aborts its calls to Temporal: an update that waits for a workflow task must not outlive the attempt.
   */
  startOrder(notificationId: string, signal: AbortSignal): Promise<HandOff>;
  /** Refunds what the cancelled order redeemed, each redemption's workflow confirming it, and marks it done. */
  cancelOrder(notificationId: string, signal: AbortSignal): Promise<HandOff>;
  deadLetter(notificationId: string, why: DeadLetterReason): Promise<void>;
}

/**
 * Aborts when the attempt is cancelled (its worker shuts down) or has run its course (the workflow gives an attempt a
 * minute): a worker shutting down waits for its activities, and an update waiting for a workflow task of that same
 * worker would wait for ever.
 */
const ATTEMPT_MS = 55_000;
function attemptSignal(): AbortSignal {
  return AbortSignal.any([Context.current().cancellationSignal, AbortSignal.timeout(ATTEMPT_MS)]);
}

export function createDeliverectHandOff(ports: DeliverectHandOffPorts) {
  return {
    handOverDeliverectOrder({ notificationId }: { notificationId: string }): Promise<HandOff> {
      return ports.startOrder(notificationId, attemptSignal());
    },

    handOverDeliverectCancel({ notificationId }: { notificationId: string }): Promise<HandOff> {
      return ports.cancelOrder(notificationId, attemptSignal());
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
