/**
 * Reports as a use case: the redemptions created in a range, grouped and summed (domain/reports.ts). The range is read
 * one UTC day at a time through the `created_day` index, so its cost follows the range, not the store.
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
import { Redemptions } from '../store/redemptions';

export interface RedemptionsReport {
  from: string;
  to: string;
  group_by: ReportGroup;
  rows: ReportRow[];
  totals: ReportTotals;
}

export class ReportDesk {
  private readonly store: Redemptions;

  constructor(deps: { db: Db }) {
    this.store = new Redemptions(deps.db);
  }

  async redemptions(
    query: { from?: Date; to?: Date; group_by: ReportGroup },
    now = new Date(),
  ): Promise<RedemptionsReport> {
    const range = reportRange(query, now);
    if ('tooLong' in range) throw new Refusal('report_range_too_long', range.tooLong);
    const { from, to } = range;
    const days = daysOf(from, to);
    const tally = new ReportTally(query.group_by, days);
    // One day after another: each is an indexed equality, and only its redemptions are in memory.
    for (const day of days) {
      for await (const redemption of this.store.createdOn(day)) {
        if (redemption.created_at >= from && redemption.created_at < to) tally.add(redemption);
      }
    }
    return { from: from.toISOString(), to: to.toISOString(), group_by: query.group_by, ...tally.result() };
  }
}
