/**
 * The chaos run's processes: each is started, killed with SIGKILL and started again on demand, and restarted when it
 * dies on its own (as a process supervisor would), so that a killed dependency only costs its dependants a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { isPortOpen } from '../../scripts/processes';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  logFile: string;
  /** When the process is ready: its port accepts connections, or its log shows a line. */
  ready: { port: number } | { logLine: string };
}

const READY_TIMEOUT_MS = 120_000;

export class ChaosProcess {
  private child?: ChildProcess;
  private stopping = false;
  /** Restarts after the process exited without being asked to: each one is a crash a dependency failure caused. */
  crashes = 0;
  kills = 0;

  constructor(private readonly spec: ProcessSpec) {}

  async start(): Promise<void> {
    const { spec } = this;
    const logOffset = this.logSize();
    const out = openSync(spec.logFile, 'a');
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', out, out],
    });
    this.child = child;
    child.once('exit', () => {
      if (this.child !== child || this.stopping) return;
      this.child = undefined;
      this.crashes++;
      setTimeout(() => {
        if (!this.stopping && !this.child) void this.start().catch(() => undefined);
      }, 1_000);
    });
    await this.waitUntilReady(child, logOffset);
  }

  /** SIGKILL, then a start after `downMs`. */
  async kill(downMs: number): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.kills++;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
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
