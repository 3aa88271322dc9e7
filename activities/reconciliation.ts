/** The scheduled reconciliation's one activity: the whole run, heartbeating after each batch it reads. */
import { Context } from '@temporalio/activity';
import type { StuckLimits } from '../domain/stuck';
import type { ReconciliationReport } from '../store/reconciliation-reports';

/** What the workflow returns: counts and the report's id, never the mismatches themselves. */
export interface ReconciliationSummary {
  report_id: string;
  members_checked: number;
  redemptions_checked: number;
  mismatch_count: number;
  stuck_count: number;
}

/** The reconciliation use case: runs it whole, telling `onBatch` its progress after each batch, and writes its report. */
export type ReconcileLedger = (run: {
  trigger: ReconciliationReport['trigger'];
  stuckLimits: StuckLimits;
  onBatch: (progress: object) => void;
}) => Promise<ReconciliationReport>;

export function createReconciliationActivities(reconcile: ReconcileLedger, stuckLimits: StuckLimits) {
  return {
    async reconcileLedger(): Promise<ReconciliationSummary> {
      const report = await reconcile({
        trigger: 'schedule',
        stuckLimits,
        onBatch: (progress) => Context.current().heartbeat(progress),
      });
      const { _id, members_checked, redemptions_checked, mismatch_count } = report;
      return {
        report_id: _id,
        members_checked,
        redemptions_checked,
        mismatch_count,
        stuck_count: report.stuck_count ?? 0,
      };
    },
  };
}
