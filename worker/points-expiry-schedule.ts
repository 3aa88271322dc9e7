/**
 * The Temporal Schedule that runs the expiry pass on the worker's task queue every POINTS_EXPIRY_INTERVAL_SECONDS
 * (paused when it is off), kept by every worker at start (worker/schedules.ts). Overlapping runs are skipped: one pass
 * at a time sweeps the dates.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config/env';
import { keepSchedule } from './schedules';

export function pointsExpiryScheduleId(taskQueue: string): string {
  return `points-expiry-${taskQueue}`;
}

export function ensurePointsExpirySchedule(client: Client, config: Config): Promise<void> {
  const scheduleId = pointsExpiryScheduleId(config.temporal.taskQueue);
  const seconds = config.pointsExpiry.intervalSeconds;
  return keepSchedule(client, {
    scheduleId,
    note: `POINTS_EXPIRY_INTERVAL_SECONDS=${seconds ?? 'off'}`,
    spec: seconds === undefined ? undefined : { intervals: [{ every: `${seconds}s` }] },
    workflowType: 'pointsExpiryWorkflow',
    taskQueue: config.temporal.taskQueue,
  });
}
