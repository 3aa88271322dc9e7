/**
 * A rolling restart of a running cluster's workers (`npm run start:cluster`): one at a time, each stopped gracefully
 * (SIGTERM: it finishes its tasks in hand) and started again by the supervisor, which loads the workflow bundle then
 * at its place; the next only once the one before runs again. The task queue is never without a worker.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { clusterLogPath, clusterPidsPath } from './cluster-layout';

const RESTART_TIMEOUT_MS = 120_000;
const WORKER_RUNNING = 'worker running';

function pidsOf(dataDir: string): Record<string, number> {
  const path = clusterPidsPath(dataDir);
  if (!existsSync(path)) throw new Error(`No cluster runs from ${dataDir}: start one with npm run start:cluster.`);
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;
}

function logSince(path: string, offset: number): string {
  const size = statSync(path).size;
  if (size <= offset) return '';
  const buffer = Buffer.alloc(size - offset);
  const file = openSync(path, 'r');
  try {
    readSync(file, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(file);
  }
  return buffer.toString('utf8');
}

export async function rollWorkers(dataDir: string, log: (line: string) => void = console.log): Promise<void> {
  const workers = Object.keys(pidsOf(dataDir))
    .filter((name) => /^worker-\d+$/.test(name))
    .sort();
  for (const name of workers) {
    const oldPid = pidsOf(dataDir)[name]!;
    const logPath = clusterLogPath(dataDir, name);
    const logOffset = statSync(logPath).size;
    log(`Stopping ${name} (pid ${oldPid})...`);
    process.kill(oldPid, 'SIGTERM');
    const deadline = Date.now() + RESTART_TIMEOUT_MS;
    while (pidsOf(dataDir)[name] === oldPid || !logSince(logPath, logOffset).includes(WORKER_RUNNING)) {
      if (Date.now() > deadline) {
        throw new Error(`${name} did not run again within ${RESTART_TIMEOUT_MS / 1000} s; see ${logPath}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    log(`${name} runs again (pid ${pidsOf(dataDir)[name]})`);
  }
}
