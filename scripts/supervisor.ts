/**
 * Processes kept running the way a supervisor such as Kubernetes keeps them: each is started, waited for until it is
 * ready, and started again a second after it exits without being asked to. The production topology
 * (`npm run start:cluster`) and the chaos run supervise every process they start with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { isPortOpen } from './processes';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Run as this user (PostgreSQL refuses root). */
  uid?: number;
  gid?: number;
  logFile: string;
  /** When the process is ready: its port accepts connections, or its log shows a line. */
  ready: { port: number } | { logLine: string };
  /** The signal that stops it cleanly (PostgreSQL's fast shutdown is SIGINT). */
  stopSignal?: NodeJS.Signals;
  /**
   * A check of the running process beyond its port: what is wrong with it, or undefined. A problem found twice in a row
   * gets the process killed and started again; a check that throws (a dependency is down) finds nothing.
   */
  health?: () => Promise<string | undefined>;
}

const READY_TIMEOUT_MS = 120_000;
const RESTART_DELAY_MS = 1_000;
const HEALTH_CHECK_INTERVAL_MS = 5_000;

export class SupervisedProcess {
  private child?: ChildProcess;
  private stopping = false;
  /** Restarts after the process exited without being asked to. */
  crashes = 0;
  kills = 0;
  /** Told of every start (with the new pid) and of every exit it did not ask for. */
  onStart?: (pid: number) => void;
  onCrash?: (exit: string) => void;
  private healthTimer?: NodeJS.Timeout;

  constructor(readonly spec: ProcessSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const { spec } = this;
    const logOffset = this.logSize();
    const out = openSync(spec.logFile, 'a');
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', out, out],
      ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
    });
    this.child = child;
    if (child.pid !== undefined) this.onStart?.(child.pid);
    child.once('exit', (code, signal) => {
      if (this.child !== child || this.stopping) return;
      this.child = undefined;
      this.crashes++;
      this.onCrash?.(signal ? `killed by ${signal}` : `exited with code ${code}`);
      setTimeout(() => {
        if (!this.stopping && !this.child) void this.start().catch(() => undefined);
      }, RESTART_DELAY_MS);
    });
    await this.waitUntilReady(child, logOffset);
    this.watchHealth(child);
  }

  private watchHealth(child: ChildProcess): void {
    const { health } = this.spec;
    if (!health) return;
    clearInterval(this.healthTimer);
    let problems = 0;
    let checking = false;
    this.healthTimer = setInterval(() => {
      if (checking || this.child !== child) return;
      checking = true;
      void health()
        .catch(() => undefined)
        .then((problem) => {
          problems = problem === undefined ? 0 : problems + 1;
          if (problems < 2 || this.child !== child) return;
          this.onCrash?.(`is unhealthy (${problem})`);
          child.kill('SIGKILL');
        })
        .finally(() => (checking = false));
    }, HEALTH_CHECK_INTERVAL_MS);
    this.healthTimer.unref();
  }

  /** SIGKILL, then a start after `downMs`, or once the wait it names (begun after the kill) settles. */
  async kill(downMs: number | (() => Promise<unknown>)): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.kills++;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    try {
      await (typeof downMs === 'number' ? new Promise((resolve) => setTimeout(resolve, downMs)) : downMs());
    } finally {
      await this.start();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.healthTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(this.spec.stopSignal ?? 'SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }

  private logSize(): number {
    try {
      return readFileSync(this.spec.logFile).length;
    } catch {
      return 0;
    }
  }

  private async waitUntilReady(child: ChildProcess, logOffset: number): Promise<void> {
    const { ready, name, logFile } = this.spec;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      // A process that exits while starting (its dependency is down) is restarted by the exit handler.
      if (this.child !== child) return;
      const isReady =
        'port' in ready
          ? await isPortOpen(ready.port)
          : readFileSync(logFile).subarray(logOffset).toString('utf8').includes(ready.logLine);
      if (isReady) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`);
  }
}
