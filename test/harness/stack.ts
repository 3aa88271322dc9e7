/** What a suite needs from the shared servers, each piece isolated by a unique database name or task queue. */
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { inject } from 'vitest';
import { connectServices } from '../../application/wiring';
import { composeApi } from '../../api/compose';
import { loadConfig, type Config } from '../../config/env';
import type { Tracing } from '../../config/tracing';
import { connectMongo, type MongoHandle } from '../../store/connect';
import { composeWorker, type WorkerComposition } from '../../worker/compose';
import { installTemporalRuntime } from '../../application/temporal-runtime';
import { TEST_METRICS_TOKEN } from './prometheus';

export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
export const TEST_API_KEY = 'test-api-key';
/** Seals the webhook signing secrets the tests' stacks store. */
export const TEST_SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

/** A JSON answer, loosely typed so tests can assert on its shape. */
export async function readJson(res: Response): Promise<any> {
  return res.json();
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    API_KEYS: TEST_API_KEY,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    MONGODB_URI: inject('mongoUri'),
    FERRETDB_POSTGRESQL_URL: inject('postgresUrl'),
    MONGODB_DB: uniqueName('test').replace(/-/g, '_'),
    TEMPORAL_TASK_QUEUE: uniqueName('queue'),
    REDEMPTION_SYNC_WAIT_MS: '15000',
    SECRETS_ENCRYPTION_KEY: TEST_SECRETS_KEY,
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    // The tests' receivers listen on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    // Each suite's worker would otherwise schedule a reconciliation on its own task queue.
    RECONCILE_SCHEDULE: 'off',
    POINTS_EXPIRY_INTERVAL_SECONDS: 'off',
    ...env,
  });
}

export async function connectTestMongo(config: Config): Promise<MongoHandle> {
  return connectMongo(config.mongo);
}

export async function connectTestClient(config: Config, tracing?: Tracing): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address });
  return new Client({ connection, namespace: config.temporal.namespace, interceptors: tracing?.clientInterceptors });
}

let workflowBundle: { code: string } | undefined;
function sharedWorkflowBundle() {
  workflowBundle ??= { code: readFileSync(inject('workflowBundlePath'), 'utf8') };
  return workflowBundle;
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

/**
 * Runs the worker of worker/compose.ts on the config's task queue: the real activities and the webhook deliveries'
 * worker beside them, or the activities given (fakes) alone. Given `temporal` (its caller's, who closes it), it works
 * over that client's connection, as `npm start`'s worker does beside its API; else over a connection of its own.
 */
export async function startTestWorker(
  config: Config,
  mongo: MongoHandle,
  options: Pick<WorkerComposition, 'activities' | 'overrides' | 'workflowBundle'> & {
    tracing?: Tracing;
    temporal?: Client;
  } = {},
): Promise<RunningWorker> {
  installTemporalRuntime({ logLevel: 'ERROR' });
  const ownClient = options.temporal === undefined;
  const temporal = options.temporal ?? (await connectTestClient(config, options.tracing));
  const composed = await composeWorker(config, {
    logger: testLogger,
    services: { mongo, temporal, tracing: options.tracing },
    activities: options.activities,
    workflowBundle: options.workflowBundle ?? sharedWorkflowBundle(),
    overrides: { shutdownGraceTime: '1s', ...options.overrides },
  }).catch(async (error: unknown) => {
    if (ownClient) await temporal.connection.close();
    throw error;
  });
  const running = composed.run();
  let stopped: Promise<void> | undefined;
  return {
    worker: composed.worker,
    // Once: a suite may stop the stack's worker before the stack closes.
    stop() {
      stopped ??= (async () => {
        try {
          await composed.close();
          await running;
        } finally {
          if (ownClient) await temporal.connection.close();
        }
      })();
      return stopped;
    },
  };
}

export interface TestStack {
  config: Config;
  mongo: MongoHandle;
  client: Client;
  api: { url: string; request(path: string, init?: RequestInit & { json?: unknown }): Promise<Response> };
  worker?: RunningWorker;
  close(): Promise<void>;
}

/**
 * The API of api/compose.ts (on a free port) over a fresh database, with a worker of real activities unless told
 * otherwise.
 */
export async function startTestStack(
  options: {
    env?: Record<string, string>;
    worker?: boolean;
    tracing?: Tracing;
    workflowBundle?: { code: string };
  } = {},
): Promise<TestStack> {
  const config = testConfig(options.env);
  installTemporalRuntime({ logLevel: 'ERROR' });
  const services = await connectServices(config, { tracing: options.tracing });
  const { mongo, temporal: client } = services;
  const worker =
    options.worker === false
      ? undefined
      : await startTestWorker(config, mongo, {
          tracing: options.tracing,
          workflowBundle: options.workflowBundle,
          temporal: client,
        });
  // As `npm start` runs them: the worker beside the API, over the API's connection to Temporal.
  const { url, close: closeApi } = await composeApi(config, {
    logger: testLogger,
    services,
    port: 0,
    workerInProcess: worker !== undefined,
  });
  // The port is known only now; page links are built from the public base URL.
  config.publicBaseUrl = url;
  const request = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TEST_API_KEY}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    return fetch(`${url}${path}`, { ...init, headers, body });
  };
  return {
    config,
    mongo,
    client,
    worker,
    api: { url, request },
    async close() {
      await closeApi();
      await worker?.stop();
      await mongo.db.dropDatabase().catch(() => undefined);
      await services.close();
    },
  };
}
