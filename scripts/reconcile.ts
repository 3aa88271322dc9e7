/**
 * `npm run reconcile`: re-folds every member's ledger and checks every redemption's entries against its status, in
 * the store MONGODB_URI / MONGODB_DB name, writes the report document and prints a summary. Exits 1 on any mismatch,
 * 2 when it could not run.
 */
import { reconcileLedger } from '../application/reconciliation';
import { loadConfig } from '../config/env';
import { stuckLimits } from '../domain/stuck';
import { connectMongo } from '../store/connect';

// It serves no HTTP, so it needs no API keys.
const config = loadConfig(process.env, { embedded: true });
const mongo = await connectMongo(config.mongo);
try {
  const report = await reconcileLedger(mongo.db, { trigger: 'cli', stuckLimits: stuckLimits(config) });
  const seconds = (report.finished_at.getTime() - report.started_at.getTime()) / 1000;
  console.log(
    `Reconciliation ${report._id} of ${config.mongo.db}: ${report.members_checked} members ` +
      `(${report.entries_checked} ledger entries) and ${report.redemptions_checked} redemptions checked in ${seconds} s; ` +
      `${report.mismatch_count} mismatches, ${report.stuck_count} redemptions stuck.`,
  );
  for (const mismatch of report.mismatches) {
    console.log(`  ${mismatch.kind} ${mismatch.id}:`);
    for (const problem of mismatch.problems) console.log(`    [${problem.code}] ${problem.message}`);
  }
  if (report.mismatches_truncated) console.log(`  … and ${report.mismatch_count - report.mismatches.length} more.`);
  for (const stuck of report.stuck ?? [])
    console.log(`  stuck redemption ${stuck.id}: [${stuck.reason}] ${stuck.message}`);
  process.exitCode = report.mismatch_count + (report.stuck_count ?? 0) > 0 ? 1 : 0;
} catch (error) {
  console.error(`Reconciliation could not run: ${(error as Error).message}`);
  process.exitCode = 2;
} finally {
  await mongo.client.close();
}
