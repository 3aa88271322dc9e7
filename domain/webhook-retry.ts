/**
 * How a webhook delivery is retried: the policy an endpoint's lane workflow gives Temporal, and the wait after each failed
 * attempt that the deliveries list shows as the next try. No zod here: workflows import it, and what a workflow imports
 * is instantiated once per workflow.
 */

/** How long a delivery is retried before it is given up. */
export const DELIVERY_DEADLINE_MS = 3 * 24 * 3600 * 1000;
export const DELIVERY_BACKOFF_COEFFICIENT = 2;
/** An endpoint lane's heartbeat timeout: how soon a lane whose worker died is taken over by another. */
export const LANE_HEARTBEAT_TIMEOUT_MS = 10_000;

export interface DeliveryRetry {
  initialIntervalMs: number;
  maximumIntervalMs: number;
}

/** The wait after failed attempt `attempt` (from 1), as Temporal's retry policy computes it. */
export function retryDelayMs(attempt: number, retry: DeliveryRetry): number {
  const delay = retry.initialIntervalMs * DELIVERY_BACKOFF_COEFFICIENT ** (attempt - 1);
  return Math.min(delay, retry.maximumIntervalMs);
}
