/**
 * Where `npm run start:cluster` keeps its files, for the scripts that act on a running cluster: its data folder
 * (CLUSTER_DATA_DIR, default .data/cluster), the workflow bundle its workers load, the supervisor's record of pids and
 * each process's log.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

export function clusterDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.CLUSTER_DATA_DIR ?? join(projectRoot, '.data', 'cluster'));
}

export const clusterBundlePath = (dataDir: string) => join(dataDir, 'dist', 'workflow-bundle.js');
export const clusterPidsPath = (dataDir: string) => join(dataDir, 'processes.json');
export const clusterLogPath = (dataDir: string, name: string) => join(dataDir, `${name}.log`);
export const clusterWorkerName = (index: number) => `worker-${index + 1}`;
