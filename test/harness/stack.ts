/** What a suite needs from the shared servers, each piece isolated by a unique database name or task queue. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker, type WorkerOptions } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { inject } from 'vitest';
import { createActivities } from '../../activities';
import { createWebhookDelivery } from '../../activities/webhook-delivery';
import { connectServices } from '../../application/wiring';
import { listen, closeServer } from '../../api/server';
import { loadConfig, type Config } from '../../config/env';
import type { Tracing } from '../../config/tracing';
import { connectMongo, type MongoHandle } from '../../store/connect';
import { createWebhookWorker, createWorker } from '../../worker/create-worker';
import { installWorkerRuntime } from '../../worker/runtime';

export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
export const TEST_API_KEY = 'test-api-key';

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
    // The tests' receivers listen on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
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
 * Runs a worker on the config's task queue with the real activities, or with the ones given (fakes), and beside it the
 * webhook deliveries' worker, as worker/main.ts does.
 */
export async function startTestWorker(
  config: Config,
  mongo: MongoHandle,
  options: {
    activities?: object;
    overrides?: Partial<WorkerOptions>;
    tracing?: Tracing;
    /** Another bundle than the suite's shared one (a traced one). */
    workflowBundle?: { code: string };
  } = {},
): Promise<RunningWorker> {
  installWorkerRuntime({ logLevel: 'ERROR' });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const temporal = await connectTestClient(config);
  const worker = await createWorker(
    {
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities:
        options.activities ??
        createActivities({
          db: mongo.db,
          config,
          logger: testLogger,
          temporal,
          meter: Runtime.instance().metricMeter,
        }),
      workflowBundle: options.workflowBundle ?? sharedWorkflowBundle(),
      tracing: options.tracing,
    },
    { shutdownGraceTime: '1s', ...options.overrides },
  );
  const webhookWorker = options.activities
    ? undefined
    : await createWebhookWorker(
        {
          connection,
          namespace: config.temporal.namespace,
          taskQueue: config.webhooks.taskQueue,
          activities: createWebhookDelivery(mongo.db, { allowPrivateUrls: config.webhooks.allowPrivateUrls }),
        },
        { shutdownGraceTime: '1s' },
      );
  const running = Promise.all([worker.run(), webhookWorker?.run()]);
  let stopped: Promise<void> | undefined;
  return {
    worker,
    // Once: a suite may stop the stack's worker before the stack closes.
    stop() {
      stopped ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        if (webhookWorker?.getState() === 'RUNNING') webhookWorker.shutdown();
        await running;
        await connection.close();
        await temporal.connection.close();
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

/** The API (on a free port) over a fresh database, with a worker of real activities unless told otherwise. */
export async function startTestStack(
  options: {
    env?: Record<string, string>;
    worker?: boolean;
    tracing?: Tracing;
    workflowBundle?: { code: string };
  } = {},
): Promise<TestStack> {
  const config = testConfig(options.env);
  const services = await connectServices(config, { tracing: options.tracing });
  const { mongo, temporal: client } = services;
  const worker =
    options.worker === false
      ? undefined
      : await startTestWorker(config, mongo, { tracing: options.tracing, workflowBundle: options.workflowBundle });
  const { server, url } = await listen({ config, db: mongo.db, temporal: client, logger: testLogger }, 0);
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
      await closeServer(server);
      await worker?.stop();
      await mongo.db.dropDatabase().catch(() => undefined);
      await services.close();
    },
  };
}
