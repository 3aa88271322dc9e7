/** The product's worker as a process of its own, for benches that measure it apart from the bench process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/env';
import { round } from './latency';

/** The process's resident memory now and at its peak, from /proc. */
export function memoryOf(pid: number): { rss_mb: number; peak_rss_mb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss_mb: round(kb('VmRSS') / 1024, 1), peak_rss_mb: round(kb('VmHWM') / 1024, 1) };
}

/** The product's worker as its own process, started the way `npm run worker` starts it. */
export async function startWorker(
  config: Config,
  env: Record<string, string>,
  logFile: string,
  temporal: Client,
): Promise<ChildProcess> {
  const workerMain = fileURLToPath(new URL('../worker/main.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', workerMain], {
    env: { ...process.env, WORKER_METRICS_ADDRESS: 'off', ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode}; see ${logFile}`);
    const { pollers } = await temporal.workflowService.describeTaskQueue({
      namespace: config.temporal.namespace,
      taskQueue: { name: config.temporal.taskQueue },
    });
    if (pollers && pollers.length > 0) return child;
    if (Date.now() > deadline) throw new Error(`the worker did not poll its task queue within 120 s; see ${logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
