/**
 * Keeps a Temporal Schedule of the worker's as its setting says, at every worker's start: created if missing, updated
 * when the setting (kept in the schedule's note, because Temporal describes a spec back in another shape than it was
 * given) or the task queue changed, paused when the setting is off.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleSpec,
} from '@temporalio/client';
import type * as workflows from '../workflows';

type Workflows = typeof workflows;
/** The workflows a schedule can start: those that take no arguments. */
type ScheduledWorkflow = {
  [Name in keyof Workflows]: Parameters<Workflows[Name]> extends [] ? Name : never;
}[keyof Workflows];

export interface KeptSchedule {
  scheduleId: string;
  /** The setting, as `NAME=value`. */
  note: string;
  /** None when the setting is off: the schedule keeps its last spec, and pausing is what turns it off. */
  spec: ScheduleSpec | undefined;
  /** A workflow that takes no arguments, started on the task queue as `<scheduleId>-run`. */
  workflowType: ScheduledWorkflow;
  taskQueue: string;
}

export async function keepSchedule(
  client: Client,
  { scheduleId, note, spec, workflowType, taskQueue }: KeptSchedule,
): Promise<void> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType,
    workflowId: `${scheduleId}-run`,
    taskQueue,
    args: [],
  };
  const handle = client.schedule.getHandle(scheduleId);
  if (!spec) {
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
    const current = await handle.describe();
    const unchanged =
      current.state.note === note &&
      !current.state.paused &&
      current.action.type === 'startWorkflow' &&
      current.action.taskQueue === action.taskQueue;
    if (!unchanged) {
      await handle.update((previous) => ({ ...previous, spec, action, state: { paused: false, note } }));
    }
  }
}
