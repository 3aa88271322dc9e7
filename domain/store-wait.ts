/**
 * How a store step waits for a store that does not answer (workflows/store-steps.ts): what the Temporal UI says
 * meanwhile, and how long each pause between rounds of retries lasts.
 */
import { doublingPauseMs } from './pauses';

/**
 * The pause after the n-th round that ended without success: 5 s, doubling, at most a minute: once the store is back,
 * a waiting step goes on within a minute, however long it waited. While a round runs its workflow task is open and the
 * Temporal UI cannot read the workflow's details; during a pause it can.
 */
export function storeWaitPauseMs(attempt: number): number {
  return doublingPauseMs(attempt, 5_000, 60_000);
}

/** The workflow's current details while a step waits: since when, which attempt, what the store last said. */
export function storeWaitDetails(wait: { summary: string; since: Date; attempt: number; error: string }): string {
  const error = wait.error.length > 200 ? `${wait.error.slice(0, 197)}...` : wait.error;
  return [
    `**Waiting for the store** since ${wait.since.toISOString()}, attempt ${wait.attempt}`,
    `Step: ${wait.summary}`,
    `Last error: ${error}`,
  ].join('\n\n');
}
