/** Starting and stopping the embedded servers (Temporal dev server, MongoDB-protocol server) as child processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdirSync, openSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join } from 'node:path';
import { SEARCH_ATTRIBUTE_KEYS } from '../domain/search-attributes';
import type { MongoServerBinary, TemporalExecutable } from './tools';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string, logFile: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}; see ${logFile}`);
    if (await isPortOpen(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs / 1000} s; see ${logFile}`);
}

export interface RunningServer {
  address: string;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function spawnLogged(binary: string, args: string[], logFile: string): ChildProcess {
  const out = openSync(logFile, 'a');
  return spawn(binary, args, { stdio: ['ignore', out, out] });
}

/** Starts FerretDB on SQLite (or a real mongod) with its files under dataDir; resolves when it accepts connections. */
export async function startMongoServer(
  binary: MongoServerBinary,
  options: { port: number; dataDir: string },
): Promise<RunningServer & { uri: string }> {
  const dataDir = join(options.dataDir, binary.kind);
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(options.dataDir, `${binary.kind}.log`);
  const args =
    binary.kind === 'mongod'
      ? ['--bind_ip', '127.0.0.1', '--port', String(options.port), '--dbpath', dataDir, '--quiet']
      : [
          '--handler=sqlite',
          `--sqlite-url=file:${dataDir}/`,
          `--state-dir=${dataDir}`,
          `--listen-addr=127.0.0.1:${options.port}`,
          '--debug-addr=-',
          '--telemetry=disable',
          '--log-level=warn',
        ];
  const child = spawnLogged(binary.path, args, logFile);
  await waitForPort(options.port, child, binary.kind, logFile, 30_000);
  const address = `127.0.0.1:${options.port}`;
  return { address, uri: `mongodb://${address}`, stop: () => stopChild(child) };
}

/**
 * Arguments for `temporal server start-dev` beyond address and storage: update-with-start, eager activities (the
 * server hands the next step to the worker in its reply), one task-queue partition (on a single dev server the
 * default four leave tasks waiting up to seconds), and the SQLite settings the Temporal SDK's own CI uses for speed.
 */
const TEMPORAL_DEV_SERVER_EXTRA_ARGS = [
  '--dynamic-config-value',
  'frontend.enableExecuteMultiOperation=true',
  '--dynamic-config-value',
  'frontend.enableUpdateWorkflowExecution=true',
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
  '--sqlite-pragma',
  'journal_mode=WAL',
  '--sqlite-pragma',
  'synchronous=OFF',
];

/**
 * Starts a Temporal dev server through the Temporal SDK's test environment, with our search attributes registered,
 * its SQLite file at `dbFilename`, and the UI on `uiPort` when one is given.
 */
export async function startTemporal(
  executable: TemporalExecutable,
  options: { port: number; uiPort?: number; dbFilename: string; namespace: string },
): Promise<RunningServer> {
  mkdirSync(dirname(options.dbFilename), { recursive: true });
  try {
    const environment = await TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        ip: '127.0.0.1',
        port: options.port,
        ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
        dbFilename: options.dbFilename,
        namespace: options.namespace,
        searchAttributes: SEARCH_ATTRIBUTE_KEYS,
        extraArgs: TEMPORAL_DEV_SERVER_EXTRA_ARGS,
        log: { format: 'pretty', level: 'error' },
      },
    });
    return { address: environment.address, stop: () => environment.teardown() };
  } catch (error) {
    if (executable.type === 'existing-path') throw error;
    throw new Error(
      `The Temporal CLI could not be downloaded either (${(error as Error).message}): install Go 1.21 or newer, or set TEMPORAL_CLI_PATH.`,
    );
  }
}
