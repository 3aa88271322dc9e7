/**
 * The scheduled ledger reconciliation (worker/reconciliation-schedule.ts starts it daily by default): one activity
 * that reads the whole store in batches and heartbeats after each, so a worker that dies mid-run is noticed within
 * the heartbeat timeout and the run starts again on another.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconciliationSummary } from '../activities/reconciliation';

const { reconcileLedger } = proxyActivities<Activities>({
  startToCloseTimeout: '6h',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '30s', maximumAttempts: 3 },
  summary: 'Re-fold every ledger and check every redemption’s entries',
});

export async function ledgerReconciliationWorkflow(): Promise<ReconciliationSummary> {
  return reconcileLedger();
}
