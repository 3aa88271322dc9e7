/** The scheduled reconciliation's one activity: the whole run, heartbeating after each batch it reads. */
import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { reconcileLedger } from '../application/reconciliation';

/** What the workflow returns: counts and the report's id, never the mismatches themselves. */
export interface ReconciliationSummary {
  report_id: string;
  members_checked: number;
  redemptions_checked: number;
  mismatch_count: number;
}

export function createReconciliationActivities(db: Db) {
  return {
    async reconcileLedger(): Promise<ReconciliationSummary> {
      const report = await reconcileLedger(db, {
        trigger: 'schedule',
        onBatch: (progress) => Context.current().heartbeat(progress),
      });
      const { _id, members_checked, redemptions_checked, mismatch_count } = report;
      return { report_id: _id, members_checked, redemptions_checked, mismatch_count };
    },
  };
}
