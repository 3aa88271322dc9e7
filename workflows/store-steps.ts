/**
 * The store steps: local activities, each one write to the store. A store step waits for the store however long it
 * takes, because no outage may fail a redemption or leave its points in flight. Temporal retries a step for a round
 * (STORE_STEP_OPTIONS); a round that ends without success shows in the workflow's current details in the Temporal UI,
 * "Waiting for the store since …, attempt N", counts in `redemption_store_step_waits_total`, and is followed by the
 * next round after a pause that doubles up to a minute. Only a failure that retrying cannot fix (a refusal such as
 * InsufficientPoints) ends the wait, as the step's answer.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  getCurrentDetails,
  metricMeter,
  proxyLocalActivities,
  setCurrentDetails,
  sleep,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { storeWaitDetails, storeWaitPauseMs } from '../domain/store-wait';

/**
 * One round of a store step: three attempts of Temporal's retries, a second when the store refuses at once and at most
 * fifteen when each attempt waits out its five seconds, after which the wait shows in the Temporal UI. A dead worker or
 * a slow store costs seconds, not the 30 s of a long timeout. (A local activity's schedule-to-close timeout did not
 * bound its retries in our tests; attempts do.)
 */
export const STORE_STEP_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '60s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 3 },
};

/** Counted from the workflow (a workflow's meter exists only in its context, hence made where it counts). */
function countStoreWait(): void {
  metricMeter
    .createCounter(
      'redemption_store_step_waits_total',
      undefined,
      'Rounds of a store step that ended without success, each followed by a wait for the store',
    )
    .add(1);
}

/** A failure that retrying cannot fix: the step's answer, not an outage. */
function isFinal(error: unknown): boolean {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof ApplicationFailure && failure.nonRetryable === true;
}

/** Runs a store step until it succeeds or fails for good, waiting out whatever keeps the store from answering. */
async function untilDone<T>(summary: string, step: () => Promise<T>): Promise<T> {
  let since: Date | undefined;
  let shown: { details: string; before: string } | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await step();
      // What the run showed before comes back, unless a status change has said something newer meanwhile.
      if (shown && getCurrentDetails() === shown.details) setCurrentDetails(shown.before);
      return result;
    } catch (error) {
      if (isFinal(error)) throw error;
      since ??= new Date();
      const details = storeWaitDetails({ summary, since, attempt, error: String((error as Error).message ?? error) });
      shown = { details, before: shown?.before ?? getCurrentDetails() };
      setCurrentDetails(details);
      countStoreWait();
      await sleep(storeWaitPauseMs(attempt), { summary: `Wait for the store: ${summary}` });
    }
  }
}

/** A store step, named in the Temporal UI by its summary, that waits for the store however long it takes. */
export function store(summary: string): Activities {
  const steps = proxyLocalActivities<Activities>({ ...STORE_STEP_OPTIONS, summary });
  return new Proxy(steps, {
    get: (target, name) => {
      const step = target[name as keyof Activities] as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => untilDone(summary, () => step(...args));
    },
  });
}
