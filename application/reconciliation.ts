/**
 * Reconciliation as a use case: re-fold every member's ledger and check every redemption's entries against its
 * status, reading in batches (memory holds a batch, not the store), then write the report. Run by `npm run reconcile`
 * and by the worker's scheduled reconciliation workflow.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { LedgerFold, checkRedemptionEntries, type Discrepancy } from '../domain/reconciliation';
import { stuckReason, type StuckLimits, type StuckReason } from '../domain/stuck';
import { Ledger } from '../store/ledger';
import { Members } from '../store/members';
import {
  ReconciliationReports,
  type Mismatch,
  type ReconciliationReport,
  type StuckRedemption,
} from '../store/reconciliation-reports';
import { RedemptionGauges } from '../store/redemption-gauges';
import { RedemptionStates, type RedemptionState } from '../store/redemption-states';
import { Redemptions } from '../store/redemptions';

/** Mismatches a report lists; the count goes on past them. */
export const MISMATCHES_KEPT = 100;
const BATCH_SIZE = 50;
/**
 * A redemption in flight moves its points a moment before its status says so (the entry, then the status), so one
 * that does not match is read again after this pause, and reported only if it still does not.
 */
const RECHECK_DELAY_MS = 1_000;

export type ReconciliationProgress = Pick<
  ReconciliationReport,
  'members_checked' | 'entries_checked' | 'redemptions_checked' | 'mismatch_count'
>;

export interface ReconciliationOptions {
  trigger: ReconciliationReport['trigger'];
  /** When a redemption counts as stuck in its state. */
  stuckLimits: StuckLimits;
  /** Told after each batch (the activity heartbeats with it). */
  onBatch?: (progress: ReconciliationProgress) => void;
  recheckDelayMs?: number;
}

export async function reconcileLedger(db: Db, options: ReconciliationOptions): Promise<ReconciliationReport> {
  const ledger = new Ledger(db);
  const members = new Members(db);
  const redemptions = new Redemptions(db);
  const states = new RedemptionStates(db);
  const startedAt = new Date();
  const progress: ReconciliationProgress = {
    members_checked: 0,
    entries_checked: 0,
    redemptions_checked: 0,
    mismatch_count: 0,
  };
  const mismatches: Mismatch[] = [];
  const record = (kind: Mismatch['kind'], id: string, problems: Discrepancy[], count = problems.length) => {
    progress.mismatch_count += 1;
    if (mismatches.length < MISMATCHES_KEPT) mismatches.push({ kind, id, problem_count: count, problems });
  };
  const stuck: StuckRedemption[] = [];
  const stuckByReason: Partial<Record<StuckReason, number>> = {};
  let stuckCount = 0;
  const noteIfStuck = (redemption: RedemptionState) => {
    const found = stuckReason(redemption, startedAt, options.stuckLimits);
    if (!found) return;
    stuckCount += 1;
    stuckByReason[found.reason] = (stuckByReason[found.reason] ?? 0) + 1;
    if (stuck.length < MISMATCHES_KEPT) stuck.push({ id: redemption._id, ...found });
  };

  const pause = () => new Promise((resolve) => setTimeout(resolve, options.recheckDelayMs ?? RECHECK_DELAY_MS));

  async function checkMember(memberId: string): Promise<void> {
    // The hint first: it never leads the entries, and entries only ever follow it.
    const head = await ledger.headHint(memberId);
    const fold = new LedgerFold(head);
    const named = new Map<string, number>();
    for await (const block of ledger.blocksOf(memberId, head?.seq ?? 0)) {
      for (const entry of block) {
        fold.add(entry);
        if (entry.redemption_id !== undefined && !named.has(entry.redemption_id)) {
          named.set(entry.redemption_id, entry.seq);
        }
      }
    }
    const { problems, count } = fold.finish();
    const unknown = await unknownRedemptions(memberId, named);
    progress.members_checked += 1;
    progress.entries_checked += fold.entries;
    if (count + unknown.length > 0) record('member', memberId, [...problems, ...unknown], count + unknown.length);
  }

  /**
   * Entries that name a redemption the store does not have (the redemption side cannot see those). A redemption whose
   * first step moves its points records it just after its entry (see beginRedemptionWithPoints), so one missing is
   * looked for again after the pause before it is reported.
   */
  async function unknownRedemptions(memberId: string, named: Map<string, number>): Promise<Discrepancy[]> {
    if (named.size === 0) return [];
    const ofMember = await states.idsOfMember(memberId);
    const missing: Array<[string, number]> = [];
    for (const [redemptionId, seq] of named) {
      // Not among the member's: another member's (the redemption side reports that) or none at all.
      if (ofMember.has(redemptionId) || (await redemptions.get(redemptionId))) continue;
      missing.push([redemptionId, seq]);
    }
    if (missing.length === 0) return [];
    await pause();
    const unknown: Discrepancy[] = [];
    for (const [redemptionId, seq] of missing) {
      if (await redemptions.get(redemptionId)) continue;
      unknown.push({
        code: 'entry_redemption_unknown',
        seq,
        message: `Entry ${seq} names redemption ${redemptionId}, which is not in the store.`,
      });
    }
    return unknown;
  }

  const problemsOf = async (redemption: RedemptionState) =>
    checkRedemptionEntries(redemption, await ledger.entriesOfRedemption(redemption._id));

  async function checkRedemptions(batch: RedemptionState[]): Promise<void> {
    batch.forEach(noteIfStuck);
    const suspects = (
      await Promise.all(batch.map(async (each) => ({ each, problems: await problemsOf(each) })))
    ).filter(({ problems }) => problems.length > 0);
    if (suspects.length > 0) {
      await pause();
      for (const { each } of suspects) {
        const now = await redemptions.get(each._id);
        const problems = now ? await problemsOf(now) : [];
        if (problems.length > 0) record('redemption', each._id, problems);
      }
    }
    progress.redemptions_checked += batch.length;
  }

  for await (const ids of members.idsInBatches(BATCH_SIZE)) {
    await Promise.all(ids.map(checkMember));
    options.onBatch?.({ ...progress });
  }
  for await (const batch of states.statesInBatches(BATCH_SIZE)) {
    await checkRedemptions(batch);
    options.onBatch?.({ ...progress });
  }

  const report: ReconciliationReport = {
    _id: `rec_${startedAt.toISOString().replace(/[-:.]/g, '')}_${randomBytes(4).toString('hex')}`,
    trigger: options.trigger,
    started_at: startedAt,
    finished_at: new Date(),
    ...progress,
    mismatches,
    mismatches_truncated: progress.mismatch_count > mismatches.length,
    stuck_count: stuckCount,
    stuck_by_reason: stuckByReason,
    stuck,
  };
  await new ReconciliationReports(db).save(report);
  // The gauges' counters, righted from the redemptions (store/redemption-gauges.ts).
  await new RedemptionGauges(db).recount();
  return report;
}
