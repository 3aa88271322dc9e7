/** The scheduled reconciliation's one activity: the whole run, heartbeating after each batch it reads. */
import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { reconcileLedger } from '../application/reconciliation';
import type { StuckLimits } from '../domain/stuck';

/** What the workflow returns: counts and the report's id, never the mismatches themselves. */
export interface ReconciliationSummary {
  report_id: string;
  members_checked: number;
  redemptions_checked: number;
  mismatch_count: number;
  stuck_count: number;
}

export function createReconciliationActivities(db: Db, stuckLimits: StuckLimits) {
  return {
    async reconcileLedger(): Promise<ReconciliationSummary> {
      const report = await reconcileLedger(db, {
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
