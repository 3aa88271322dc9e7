/**
 * CPU time of processes as Linux counts it (/proc/<pid>/stat), for a benchmark to say where the time goes. A process
 * counts with its descendants, living (each one's own time) and reaped (its parent's children time), so that a server
 * that works through child processes, such as PostgreSQL's backends, is counted whole.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface ProcessTimes {
  pid: number;
  ppid: number;
  ticks: number;
}

/** The fields of a /proc stat file after the command name, which is in parentheses and may hold spaces. */
function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function timesOf(pid: number): ProcessTimes | undefined {
  try {
    const fields = statFields(`/proc/${pid}/stat`);
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((index) => Number(fields[index]));
    return { pid, ppid: Number(fields[1]), ticks: utime! + stime! + cutime! + cstime! };
  } catch {
    return undefined;
  }
}

/** CPU seconds the process and its descendants have used so far. */
export function cpuSecondsOfTree(rootPid: number): number {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => timesOf(Number(name)) ?? []);
  const children = new Map<number, ProcessTimes[]>();
  for (const times of all) children.set(times.ppid, [...(children.get(times.ppid) ?? []), times]);
  let ticks = 0;
  const pending = [all.find((times) => times.pid === rootPid)].filter((times) => times !== undefined);
  while (pending.length > 0) {
    const times = pending.pop()!;
    ticks += times.ticks;
    pending.push(...(children.get(times.pid) ?? []));
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds of each named process so far, to subtract a later reading from an earlier one. */
export function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOfTree(pid)]));
}

/** Each process's CPU seconds between two snapshots, per operation. */
export function cpuPerOperation(
  before: Record<string, number>,
  after: Record<string, number>,
  operations: number,
): Record<string, number> {
  return Object.fromEntries(
    Object.keys(after).map((name) => [
      name,
      Math.round(((after[name]! - (before[name] ?? 0)) / operations) * 1e5) / 1e5,
    ]),
  );
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * A process's own threads' CPU seconds, by role: Node's main thread (its id is the process's), the threads of the
 * Temporal SDK's core by their names, and Node's other threads (the workflow threads, V8's and libuv's helpers).
 */
function threadSeconds(pid: number, prefix = ''): Record<string, number> {
  const byRole: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const fields = statFields(`/proc/${pid}/task/${tid}/stat`);
      const threadName = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const role = Number(tid) === pid ? MAIN_THREAD : (SDK_CORE_THREADS[threadName] ?? OTHER_THREADS);
      const name = `${prefix}${role}`;
      byRole[name] = (byRole[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {
      // The thread ended between the listing and the read: a short-lived helper thread, left out.
    }
  }
  return byRole;
}

const MAIN_THREAD = 'Node main thread';
const OTHER_THREADS = 'Node workflow threads, V8, libuv';

/** Threads of the Temporal SDK's core (Rust), by their names as Linux truncates them. */
const SDK_CORE_THREADS: Record<string, string> = {
  'workflow-proces': 'SDK core workflow machines',
  'tokio-runtime-w': 'SDK core',
  'temporal-real-s': 'SDK core',
};

/** The roles of a process's own threads, which cpuByRole reports without a prefix. */
const OWN_THREAD_ROLES = new Set([MAIN_THREAD, OTHER_THREADS, ...Object.values(SDK_CORE_THREADS)]);

const SERVER_ROLES: Record<string, string> = {
  temporal: 'Temporal dev server',
  ferretdb: 'FerretDB',
  postgres: 'PostgreSQL',
};

/**
 * CPU seconds so far of a process that runs the API (and perhaps a worker) and the servers it started, by role: its
 * own threads (see threadSeconds), each child server with its descendants (Temporal, FerretDB, PostgreSQL), and the
 * threads of each process named in `others` (a worker of its own), prefixed with its name.
 */
export function cpuByRole(pid: number, others: Record<string, number> = {}): Record<string, number> {
  const byRole = threadSeconds(pid);
  for (const [name, otherPid] of Object.entries(others)) Object.assign(byRole, threadSeconds(otherPid, `${name}: `));
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    const child = timesOf(Number(name));
    const role = child?.ppid === pid ? SERVER_ROLES[commandOf(child.pid)] : undefined;
    if (role) byRole[role] = (byRole[role] ?? 0) + cpuSecondsOfTree(child!.pid);
  }
  return byRole;
}

/**
 * Waits until the servers under `pid` and the processes in `others` have been idle (together under `idleShare` of one
 * CPU) for a whole `windowMs`, or for at most `maxMs`; returns the seconds waited. A burst of writes leaves background
 * work behind it (PostgreSQL's checkpoints and vacuum, Temporal's visibility and WAL checkpoints) that a scenario
 * measured right after would pay for.
 */
export async function untilIdle(
  pid: number,
  others: Record<string, number>,
  { windowMs = 2_000, idleShare = 0.1, maxMs = 120_000 } = {},
): Promise<number> {
  const busySeconds = () =>
    Object.entries(cpuByRole(pid, others)).reduce(
      (sum, [role, seconds]) => sum + (OWN_THREAD_ROLES.has(role) ? 0 : seconds),
      0,
    );
  const begin = Date.now();
  let before = busySeconds();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const now = busySeconds();
    if (now - before < (idleShare * windowMs) / 1000 || Date.now() - begin >= maxMs) break;
    before = now;
  }
  return Math.round((Date.now() - begin) / 100) / 10;
}
