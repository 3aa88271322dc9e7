/** Starting and stopping the embedded servers (Temporal dev server, MongoDB-protocol store) as child processes. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MongoClient } from 'mongodb';
import { SEARCH_ATTRIBUTE_KEYS } from '../domain/search-attributes';
import { ferretDbRegistryProblem } from '../store/ferretdb/registry';
import { startPostgres } from './postgres';
import { spawnLogged, stopChild, waitForPort, type RunningServer } from './processes';
import { SupervisedProcess, type ProcessSpec } from './supervisor';
import type { MongoServerBinary, TemporalExecutable } from './tools';

export { freePort, isPortOpen, type RunningServer } from './processes';

/** The embedded MongoDB-protocol store: its URI, and the PostgreSQL URL under FerretDB (none for mongod). */
export interface RunningStore extends RunningServer {
  uri: string;
  postgresUrl?: string;
}

/**
 * FerretDB v1 runs every update on two PostgreSQL connections at once (it reads the matches on one and writes on
 * another), so a pool that concurrent updates can fill deadlocks. Its pool must stay above twice the operations that
 * all clients together can have in flight (the driver's maxPoolSize, 100, per client).
 */
const FERRETDB_POOL_SIZE = 480;

export function mongodArgs(port: number, dbPath: string): string[] {
  return ['--bind_ip', '127.0.0.1', '--port', String(port), '--dbpath', dbPath, '--quiet'];
}

export function ferretDbArgs(postgresUrl: string, address: string, stateDir: string): string[] {
  return [
    '--handler=postgresql',
    `--postgresql-url=${postgresUrl}?pool_max_conns=${FERRETDB_POOL_SIZE}`,
    `--state-dir=${stateDir}`,
    `--listen-addr=${address}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
  ];
}

/**
 * How to run FerretDB on the PostgreSQL at `postgresUrl`, listening at `address`: supervised, it is restarted when it
 * stops listing databases its PostgreSQL holds (see store/ferretdb-registry.ts).
 */
export function ferretDbProcess(
  binary: string,
  options: { postgresUrl: string; port: number; stateDir: string; logFile: string },
): ProcessSpec {
  const address = `127.0.0.1:${options.port}`;
  return {
    name: 'ferretdb',
    command: binary,
    args: ferretDbArgs(options.postgresUrl, address, options.stateDir),
    logFile: options.logFile,
    ready: { port: options.port },
    async health() {
      const client = new MongoClient(`mongodb://${address}`, { serverSelectionTimeoutMS: 2_000 });
      try {
        return await ferretDbRegistryProblem(client, options.postgresUrl);
      } finally {
        await client.close();
      }
    },
  };
}

/**
 * Starts the MongoDB-protocol store with its files under dataDir: FerretDB on an embedded PostgreSQL (whose port is
 * `postgresPort`), or a real mongod when one was found. Resolves when it accepts connections.
 */
export async function startMongoServer(
  binary: MongoServerBinary,
  options: { port: number; postgresPort: number; dataDir: string; ephemeral?: boolean },
): Promise<RunningStore> {
  mkdirSync(options.dataDir, { recursive: true });
  const address = `127.0.0.1:${options.port}`;
  const logFile = join(options.dataDir, `${binary.kind}.log`);
  if (binary.kind === 'mongod') {
    const dbPath = join(options.dataDir, 'mongod');
    mkdirSync(dbPath, { recursive: true });
    const child = spawnLogged(binary.path, mongodArgs(options.port, dbPath), logFile);
    await waitForPort(options.port, child, 'mongod', logFile, 30_000);
    return { address, uri: `mongodb://${address}`, stop: () => stopChild(child) };
  }
  const postgres = await startPostgres({
    port: options.postgresPort,
    dataDir: join(options.dataDir, 'postgres'),
    ephemeral: options.ephemeral,
  });
  const stateDir = join(options.dataDir, 'ferretdb');
  mkdirSync(stateDir, { recursive: true });
  const ferretdb = new SupervisedProcess(
    ferretDbProcess(binary.path, { postgresUrl: postgres.url, port: options.port, stateDir, logFile }),
  );
  ferretdb.onCrash = (exit) => console.warn(`FerretDB ${exit}; starting it again (see ${logFile})`);
  try {
    await ferretdb.start();
  } catch (error) {
    await ferretdb.stop();
    await postgres.stop();
    throw error;
  }
  return {
    address,
    uri: `mongodb://${address}`,
    postgresUrl: postgres.url,
    async stop() {
      await ferretdb.stop();
      await postgres.stop();
    },
  };
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

/** The Temporal CLI's names of the search attribute types. */
export const CLI_SEARCH_ATTRIBUTE_TYPES: Record<string, string> = {
  KEYWORD: 'Keyword',
  INT: 'Int',
  TEXT: 'Text',
  BOOL: 'Bool',
  DOUBLE: 'Double',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/**
 * The command line of `temporal server start-dev` as startTemporal runs it, for a caller that runs the server as its
 * own child process (to kill it outright, say).
 */
export function temporalDevServerArgs(options: { port: number; dbFilename: string; namespace: string }): string[] {
  const searchAttributes = SEARCH_ATTRIBUTE_KEYS.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${CLI_SEARCH_ATTRIBUTE_TYPES[key.type]}`,
  ]);
  return [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--headless',
    '--db-filename',
    options.dbFilename,
    '--namespace',
    options.namespace,
    '--log-level',
    'error',
    ...searchAttributes,
    ...TEMPORAL_DEV_SERVER_EXTRA_ARGS,
  ];
}

/** Tries a dev server start given up after the SDK's fixed 5 s wait for it (a busy machine), up to this many times. */
const TEMPORAL_START_ATTEMPTS = 3;

/**
 * Starts the dev server again when the SDK gave up waiting for it to answer: the SDK waits 5 s, not settable, then
 * kills it. Any other failure is thrown at once.
 */
export async function startingAgainWhenSlow<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const slow = /did not start within/.test((error as Error).message);
      if (!slow || attempt === TEMPORAL_START_ATTEMPTS) throw error;
      console.warn(`The Temporal dev server did not answer within the SDK's 5 s; starting it again (${attempt}).`);
    }
  }
}

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
    const environment = await startingAgainWhenSlow(() =>
      TestWorkflowEnvironment.createLocal({
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
      }),
    );
    return { address: environment.address, stop: () => environment.teardown() };
  } catch (error) {
    if (executable.type === 'existing-path') throw error;
    throw new Error(
      `The Temporal CLI could not be downloaded either (${(error as Error).message}): install Go 1.21 or newer, or set TEMPORAL_CLI_PATH.`,
    );
  }
}
