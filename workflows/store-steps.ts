import { proxyLocalActivities, type LocalActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * The store steps' local activities: a dead worker or a slow store costs seconds, not the 30 s of a long timeout, and
 * a store that stays down for ten minutes fails the workflow visibly instead of retrying forever.
 */
export const STORE_STEP_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '10s' },
};

/** A store step, named in the Temporal UI by its summary. */
export const store = (summary: string) => proxyLocalActivities<Activities>({ ...STORE_STEP_OPTIONS, summary });
