/**
 * The product for benches that measure its worker apart from the bench process: the worker in a process of its own,
 * started as `npm run worker` starts it, and the API in the bench's process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { composeApi } from '../api/compose';
import { loadConfig, type Config } from '../config/env';
import { createLogger } from '../config/logger';
import { stopChild } from '../scripts/processes';
import { connectMongo } from '../store/connect';
import { round } from './latency';
import { NAMESPACE, type Teardown } from './measure';

/**
 * Starts the worker (with `workerEnv` on top of `env`, its log in `logFile`) and the API on `env`; `teardown` stops
 * them and closes the bench's connections.
 */
export async function startProduct(
  env: Record<string, string>,
  workerEnv: Record<string, string>,
  logFile: string,
  teardown: Teardown,
) {
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  const mongo = await connectMongo(config.mongo);
  teardown.push(() => mongo.client.close());
  const connection = await Connection.connect({ address: config.temporal.address });
  teardown.push(() => connection.close());
  const temporal = new Client({ connection, namespace: NAMESPACE });
  const worker = await startWorker(config, { ...env, ...workerEnv }, logFile, temporal);
  teardown.push(() => stopChild(worker));
  const { url, close } = await composeApi(config, {
    logger: createLogger('silent', 'bench'),
    services: { mongo, temporal },
    port: 0,
  });
  teardown.push(close);
  return { config, mongo, temporal, worker, url };
}

/** The process's resident memory now and at its peak, from /proc. */
export function memoryOf(pid: number): { rss_mb: number; peak_rss_mb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss_mb: round(kb('VmRSS') / 1024, 1), peak_rss_mb: round(kb('VmHWM') / 1024, 1) };
}

/** The product's worker as its own process, started the way `npm run worker` starts it. */
async function startWorker(
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
