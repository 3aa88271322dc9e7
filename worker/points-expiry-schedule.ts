/**
 * The Temporal Schedule that runs the expiry pass on the worker's task queue every POINTS_EXPIRY_INTERVAL_SECONDS.
 * Every worker makes sure of it at start: created if missing, updated if the interval changed, paused when it is off.
 * Overlapping runs are skipped: one pass at a time sweeps the dates.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../config/env';
import type { pointsExpiryWorkflow } from '../workflows';

export function pointsExpiryScheduleId(taskQueue: string): string {
  return `points-expiry-${taskQueue}`;
}

export async function ensurePointsExpirySchedule(client: Client, config: Config): Promise<void> {
  const scheduleId = pointsExpiryScheduleId(config.temporal.taskQueue);
  const seconds = config.pointsExpiry.intervalSeconds;
  const note = `POINTS_EXPIRY_INTERVAL_SECONDS=${seconds ?? 'off'}`;
  const handle = client.schedule.getHandle(scheduleId);
  if (seconds === undefined) {
    const current = await handle.describe().catch((error: unknown) => {
      if (error instanceof ScheduleNotFoundError) return undefined;
      throw error;
    });
    if (current && !current.state.paused) await handle.pause(note);
    return;
  }
  const spec = { intervals: [{ every: `${seconds}s` as const }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'pointsExpiryWorkflow' as const,
    workflowId: `${scheduleId}-run`,
    taskQueue: config.temporal.taskQueue,
    args: [] as Parameters<typeof pointsExpiryWorkflow>,
  };
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
    const current = await handle.describe();
    if (current.state.note !== note || current.state.paused) {
      await handle.update((previous) => ({ ...previous, spec, action, state: { paused: false, note } }));
    }
  }
}
