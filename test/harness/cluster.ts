/**
 * The production topology (`npm run start:cluster`) started as a user starts it, on ports and in a data folder of its
 * own, for the tests and the benchmarks that need it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterPorts, type ClusterPorts } from '../../scripts/cluster-ports';
import { isPortOpen } from '../../scripts/processes';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 300_000;

/** A run of free ports below the ephemeral range, so that no outgoing connection takes one meanwhile. */
async function freePortBase(): Promise<number> {
  for (;;) {
    const base = 15_000 + Math.floor(Math.random() * 15_000);
    const ports = Array.from({ length: 30 }, (_, n) => base + n);
    const taken = await Promise.all(ports.map((port) => isPortOpen(port)));
    if (!taken.some(Boolean)) return base;
  }
}

export interface Cluster {
  child: ChildProcess;
  /** What the script printed so far. */
  output: () => string;
  ports: ClusterPorts;
  dir: string;
  /** The supervisor's record: each process's pid, updated at every restart. */
  pids(): Record<string, number>;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the topology with `env` added to ours, and resolves once it says it runs. */
export async function startCluster(env: Record<string, string>): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-'));
  const base = await freePortBase();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-cluster.ts'], {
    cwd: projectRoot,
    env: { ...process.env, ...env, CLUSTER_DATA_DIR: dir, CLUSTER_PORT_BASE: String(base) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (child.exitCode !== null) throw new Error(`start:cluster exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGINT');
      throw new Error(`start:cluster was not up within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    child,
    output: () => output,
    ports: clusterPorts(base),
    dir,
    pids: () => JSON.parse(readFileSync(join(dir, 'processes.json'), 'utf8')) as Record<string, number>,
  };
}

/** Ctrl-C, as a user stops it; answers the processes still running afterwards, and removes its data. */
export async function stopCluster(cluster: Cluster): Promise<string[]> {
  const pids = cluster.pids();
  if (cluster.child.exitCode === null) {
    const exited = new Promise((resolve) => cluster.child.once('exit', resolve));
    cluster.child.kill('SIGINT');
    await exited;
  }
  rmSync(cluster.dir, { recursive: true, force: true });
  return Object.entries(pids)
    .filter(([, pid]) => isAlive(pid))
    .map(([name]) => name);
}
