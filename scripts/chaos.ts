/**
 * `npm run chaos`: the long chaos run (1,000 redemptions by default; CHAOS_REDEMPTIONS, CHAOS_SEED), printed as a
 * table. Exits non-zero when anything that must hold did not.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChaos } from '../test/chaos/chaos-run';
import { workflowsPath } from '../worker/create-worker';

const redemptions = Number(process.env.CHAOS_REDEMPTIONS ?? 1_000);
const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
const dir = mkdtempSync(join(tmpdir(), 'chaos-bundle-'));
try {
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, (await bundleWorkflowCode({ workflowsPath })).code);
  console.log(`Chaos run: ${redemptions} redemptions, seed ${seed} (CHAOS_SEED=${seed} repeats it)`);
  const report = await runChaos({ redemptions, concurrency: 20, seed, workflowBundlePath, log: console.log });
  const rows: Array<[string, unknown]> = [
    ['redemptions', report.redemptions],
    ...Object.entries(report.by_kind).map(([kind, count]): [string, unknown] => [`  ${kind}`, count]),
    ['final statuses', ''],
    ...Object.entries(report.final_statuses).map(([status, count]): [string, unknown] => [`  ${status}`, count]),
    ['faults', report.faults.join('; ')],
    [
      'SIGKILLs',
      Object.entries(report.kills)
        .map(([name, count]) => `${name} ${count}`)
        .join(', '),
    ],
    [
      'restarts after a crash',
      Object.entries(report.crash_restarts)
        .map(([name, count]) => `${name} ${count}`)
        .join(', '),
    ],
    ['partner calls / fulfilled', `${report.partner_calls} / ${report.partner_fulfilled}`],
    ['seconds', report.seconds],
    ['invariants checked', ''],
    ...Object.entries(report.invariants).map(([invariant, count]): [string, unknown] => [`  ${invariant}`, count]),
    ['violations', report.violations.length],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(['', ...rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`), ''].join('\n'));
  for (const violation of report.violations) console.log(`VIOLATION ${violation}`);
  process.exitCode = report.violations.length > 0 ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
