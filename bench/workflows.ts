import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '30 seconds' });

const ACTIVITIES_PER_WORKFLOW = 4;

export async function emptyWorkflow(): Promise<void> {}

export async function sequentialActivitiesWorkflow(): Promise<void> {
  for (let step = 0; step < ACTIVITIES_PER_WORKFLOW; step++) await noop();
}
