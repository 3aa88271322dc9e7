/**
 * Reconciliation runs' reports, one document each, and a pointer to the newest finished one (an `_id` read for the
 * metrics, however many reports pile up).
 */
import type { Collection, Db } from 'mongodb';
import type { Discrepancy } from '../domain/reconciliation';
import type { StuckReason } from '../domain/stuck';
import { duplicateKeyIndex } from './duplicate-key';

export interface Mismatch {
  kind: 'member' | 'redemption';
  /** The member's or the redemption's id. */
  id: string;
  /** How many problems were found; `problems` keeps the first few. */
  problem_count: number;
  problems: Discrepancy[];
}

/** A redemption left in a state its workflow should have moved it out of by now (domain/stuck.ts). */
export interface StuckRedemption {
  id: string;
  reason: StuckReason;
  message: string;
}

export interface ReconciliationReport {
  _id: string;
  trigger: 'cli' | 'schedule';
  started_at: Date;
  finished_at: Date;
  members_checked: number;
  entries_checked: number;
  redemptions_checked: number;
  mismatch_count: number;
  /** The first MISMATCHES_KEPT mismatches; `mismatches_truncated` says whether there were more. */
  mismatches: Mismatch[];
  mismatches_truncated: boolean;
  /** Redemptions stuck, by reason; `stuck` keeps the first MISMATCHES_KEPT. Absent from reports made before. */
  stuck_count?: number;
  stuck_by_reason?: Partial<Record<StuckReason, number>>;
  stuck?: StuckRedemption[];
}

export type LatestReconciliation = Pick<
  ReconciliationReport,
  'finished_at' | 'mismatch_count' | 'members_checked' | 'redemptions_checked' | 'stuck_count' | 'stuck_by_reason'
> & { _id: 'latest'; report_id: string };

export class ReconciliationReports {
  private readonly reports: Collection<ReconciliationReport>;
  private readonly latestRun: Collection<LatestReconciliation>;

  constructor(db: Db) {
    this.reports = db.collection<ReconciliationReport>('reconciliation_reports');
    this.latestRun = db.collection<LatestReconciliation>('reconciliation_latest');
  }

  /** Stores the report and moves the pointer to it, unless a run that finished later already did. */
  async save(report: ReconciliationReport): Promise<void> {
    await this.reports.insertOne(report);
    const { finished_at, mismatch_count, members_checked, redemptions_checked, stuck_count, stuck_by_reason } = report;
    try {
      await this.latestRun.replaceOne(
        { _id: 'latest', finished_at: { $lt: finished_at } },
        {
          report_id: report._id,
          finished_at,
          mismatch_count,
          members_checked,
          redemptions_checked,
          stuck_count,
          stuck_by_reason,
        },
        { upsert: true },
      );
    } catch (error) {
      // The upsert found a pointer that is newer: it stays.
      if (duplicateKeyIndex(error) === undefined) throw error;
    }
  }

  get(id: string): Promise<ReconciliationReport | null> {
    return this.reports.findOne({ _id: id });
  }

  latest(): Promise<LatestReconciliation | null> {
    return this.latestRun.findOne({ _id: 'latest' });
  }
}
