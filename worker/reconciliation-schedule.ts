/**
 * The Temporal Schedule that runs the ledger reconciliation on the worker's task queue, as RECONCILE_SCHEDULE says
 * (paused when it is off), kept by every worker at start (worker/schedules.ts).
 */
import type { Client, ScheduleSpec } from '@temporalio/client';
import { ConfigError, type Config } from '../config/env';
import { keepSchedule } from './schedules';

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
  const schedule = config.reconcileSchedule;
  try {
    await keepSchedule(client, {
      scheduleId,
      note: noteOf(config),
      spec: schedule ? specOf(schedule) : undefined,
      workflowType: 'ledgerReconciliationWorkflow',
      taskQueue: config.temporal.taskQueue,
    });
  } catch (error) {
    // INVALID_ARGUMENT: the cron expression or interval passed the format check but is not a schedule.
    const { code, cause } = error as { code?: number; cause?: { code?: number } };
    if (code === INVALID_ARGUMENT || cause?.code === INVALID_ARGUMENT) {
      throw new ConfigError([`RECONCILE_SCHEDULE: Temporal refused it (${(error as Error).message})`]);
    }
    throw error;
  }
}
