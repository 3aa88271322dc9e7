/**
 * The Temporal Schedule that runs the ledger reconciliation on the worker's task queue. Every worker makes sure of it
 * at start: created if missing, updated if RECONCILE_SCHEDULE changed, paused when it is off. The setting is kept in
 * the schedule's note, because Temporal describes a cron spec back in another shape than it was given.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleSpec,
} from '@temporalio/client';
import { ConfigError, type Config } from '../config/env';
import type { ledgerReconciliationWorkflow } from '../workflows';

const INVALID_ARGUMENT = 3;

/** One schedule per task queue: the deployment whose store that queue's workers reach. */
export function reconciliationScheduleId(taskQueue: string): string {
  return `ledger-reconciliation-${taskQueue}`;
}

function specOf(schedule: NonNullable<Config['reconcileSchedule']>): ScheduleSpec {
  return 'cron' in schedule
    ? { cronExpressions: [schedule.cron] }
    : { intervals: [{ every: schedule.every as `${number}${'s' | 'm' | 'h' | 'd'}` }] };
}

function noteOf(config: Config): string {
  const schedule = config.reconcileSchedule;
  const setting = !schedule ? 'off' : 'cron' in schedule ? schedule.cron : `every ${schedule.every}`;
  return `RECONCILE_SCHEDULE=${setting}`;
}

export async function ensureReconciliationSchedule(client: Client, config: Config): Promise<void> {
  const scheduleId = reconciliationScheduleId(config.temporal.taskQueue);
  const note = noteOf(config);
  const schedule = config.reconcileSchedule;
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'ledgerReconciliationWorkflow' as const,
    workflowId: `${scheduleId}-run`,
    taskQueue: config.temporal.taskQueue,
    args: [] as Parameters<typeof ledgerReconciliationWorkflow>,
  };
  // Off keeps the last spec: the schedule needs one, and pausing is what turns it off.
  const spec = schedule ? specOf(schedule) : undefined;
  try {
    if (!spec) {
      const handle = client.schedule.getHandle(scheduleId);
      const current = await handle.describe().catch((error: unknown) => {
        if (error instanceof ScheduleNotFoundError) return undefined;
        throw error;
      });
      if (current && !current.state.paused) await handle.pause(note);
      return;
    }
    try {
      await client.schedule.create({
        scheduleId,
        spec,
        action,
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        state: { note },
      });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      const handle = client.schedule.getHandle(scheduleId);
      const current = await handle.describe();
      const unchanged =
        current.state.note === note &&
        !current.state.paused &&
        current.action.type === 'startWorkflow' &&
        current.action.taskQueue === action.taskQueue;
      if (!unchanged) {
        await handle.update((previous) => ({
          ...previous,
          spec,
          action,
          state: { paused: false, note },
        }));
      }
    }
  } catch (error) {
    // INVALID_ARGUMENT: the cron expression or interval passed the format check but is not a schedule.
    const { code, cause } = error as { code?: number; cause?: { code?: number } };
    if (code === INVALID_ARGUMENT || cause?.code === INVALID_ARGUMENT) {
      throw new ConfigError([`RECONCILE_SCHEDULE: Temporal refused it (${(error as Error).message})`]);
    }
    throw error;
  }
}
