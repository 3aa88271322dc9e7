/**
 * Reports as a use case: the redemptions created in a range, grouped and summed (domain/reports.ts). The range is read
 * through an index (store/redemption-report.ts), so its cost follows the range, not the store.
 */
import type { Db } from 'mongodb';
import { Refusal } from '../domain/failures';
import {
  ReportTally,
  daysOf,
  reportRange,
  type ReportGroup,
  type ReportRow,
  type ReportTotals,
} from '../domain/reports';
import { RedemptionReportReads } from '../store/redemption-report';

export interface RedemptionsReport {
  from: string;
  to: string;
  group_by: ReportGroup;
  rows: ReportRow[];
  totals: ReportTotals;
}

export class ReportDesk {
  private readonly store: RedemptionReportReads;

  constructor(deps: { db: Db }) {
    this.store = new RedemptionReportReads(deps.db);
  }

  async redemptions(
    query: { from?: Date; to?: Date; group_by: ReportGroup },
    now = new Date(),
  ): Promise<RedemptionsReport> {
    const range = reportRange(query, now);
    if ('tooLong' in range) throw new Refusal('report_range_too_long', range.tooLong);
    const { from, to } = range;
    const tally = new ReportTally(query.group_by, daysOf(from, to));
    for await (const redemption of this.store.createdBetween(from, to)) tally.add(redemption);
    return { from: from.toISOString(), to: to.toISOString(), group_by: query.group_by, ...tally.result() };
  }
}
