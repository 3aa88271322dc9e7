/**
 * The worker process, composed once: the redemption worker with its activities, the webhook deliveries' worker beside
 * it on its own task queue, and the reconciliation and points-expiry schedules. worker/main.ts, `npm start` and the test harness all run
 * their workers from here. The Temporal runtime is one per process, so the caller installs it first (application/temporal-runtime.ts).
 */
import { NativeConnection, Runtime, type Worker, type WorkerOptions } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import type { DeliverectHandOffPorts } from '../activities/deliverect-hand-off';
import { createWebhookDelivery } from '../activities/webhook-delivery';
import { secretBoxOf } from '../store/secret-box';
import { DeliverectHandOff } from '../application/deliverect-hand-off';
import { reconcileLedger } from '../application/reconciliation';
import { nudgeWebhookLane, sharedNudges } from '../application/webhook-lanes';
import type { Services } from '../application/wiring';
import type { Config } from '../config/env';
import type { Tracing } from '../config/tracing';
import { createWebhookWorker, createWorker, tracedBundlePath } from './create-worker';
import { ensurePointsExpirySchedule } from './points-expiry-schedule';
import { ensureReconciliationSchedule } from './reconciliation-schedule';

export interface WorkerComposition {
  logger: Logger;
  /** Connected by the caller, who closes them (`npm start` shares its own with the API, a test its stack's). */
  services: Pick<Services, 'mongo' | 'temporal' | 'tracing'>;
  /**
   * A prebuilt workflow bundle. By default the one at WORKFLOW_BUNDLE_PATH, or without it the worker bundles workflows/
   * at start.
   */
  workflowBundle?: { code: string };
  /** Activities other than the real ones (a test's fakes); no webhook deliveries' worker runs beside them. */
  activities?: object;
  /** The redemption worker's options over the composed ones. */
  overrides?: Partial<WorkerOptions>;
}

export interface ComposedWorker {
  worker: Worker;
  /** Runs both workers until they are shut down; either one failing stops both. */
  run(): Promise<void>;
  /** Asks both workers to stop; run() resolves once they have. */
  shutdown(): void;
  /** Stops the workers if they run, then closes their connection to Temporal unless it is the services'. */
  close(): Promise<void>;
}

export async function composeWorker(config: Config, composition: WorkerComposition): Promise<ComposedWorker> {
  const { services } = composition;
  // Over the services' own connection when it is the SDK core's, as connectServices makes it: a workflow that the API
  // of this process starts eagerly (RedemptionWorkflows) has its first task handed to these workers in the answer.
  const shared = services.temporal.connection instanceof NativeConnection ? services.temporal.connection : undefined;
  const connection = shared ?? (await NativeConnection.connect({ address: config.temporal.address }));
  const workers: Worker[] = [];
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  let running: Promise<void> | undefined;
  // Settles once every worker has stopped: one that fails stops the others.
  const run = () =>
    (running ??= Promise.allSettled(
      workers.map((worker) =>
        worker.run().catch((error: unknown) => {
          shutdown();
          throw error;
        }),
      ),
    ).then((results) => {
      for (const result of results) if (result.status === 'rejected') throw result.reason;
    }));
  const close = async () => {
    // A worker holds its connection until it has run, so one that never ran is run and stopped at once.
    const stopped = run().catch(() => undefined);
    shutdown();
    await stopped;
    // A shared connection is its owner's to close.
    if (!shared) await connection.close();
  };

  try {
    await ensureReconciliationSchedule(services.temporal, config);
    await ensurePointsExpirySchedule(services.temporal, config);
    workers.push(await createRedemptionWorker(config, composition, connection, services));
    if (!composition.activities) workers.push(await createDeliveryWorker(config, connection, services));
  } catch (error) {
    await close();
    throw error;
  }
  return { worker: workers[0]!, run, shutdown, close };
}

type WorkerServices = WorkerComposition['services'];

function createRedemptionWorker(
  config: Config,
  { activities, logger, workflowBundle, overrides }: WorkerComposition,
  connection: NativeConnection,
  { mongo, temporal, tracing }: WorkerServices,
): Promise<Worker> {
  return createWorker(
    {
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities:
        activities ??
        createActivities({
          db: mongo.db,
          config,
          logger,
          meter: Runtime.instance().metricMeter,
          nudgeWebhookLane: sharedNudges((endpointId) => nudgeWebhookLane(temporal, config, endpointId)),
          reconcileLedger: (run) => reconcileLedger(mongo.db, run),
          deliverectHandOff: abortableHandOff(
            temporal,
            new DeliverectHandOff({ config, db: mongo.db, temporal, logger }),
          ),
        }),
      maxCachedWorkflows: config.workerMaxCachedWorkflows,
      tracing,
      workflowBundle: workflowBundle ?? prebuiltBundle(config, tracing),
    },
    overrides,
  );
}

/** Merchant webhook deliveries, on their own task queue (worker/create-worker.ts says why). */
function createDeliveryWorker(
  config: Config,
  connection: NativeConnection,
  { mongo, tracing }: WorkerServices,
): Promise<Worker> {
  return createWebhookWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.webhooks.taskQueue,
    activities: createWebhookDelivery(mongo.db, {
      retentionMs: config.webhooks.deliveryRetentionDays * 86_400_000,
      allowPrivateUrls: config.webhooks.allowPrivateUrls,
      secrets: secretBoxOf(config),
    }),
    tracing,
  });
}

/** The bundle at WORKFLOW_BUNDLE_PATH: a traced worker runs its twin, which has the OpenTelemetry interceptors in it. */
function prebuiltBundle(config: Config, tracing: Tracing | undefined): { code: string } | undefined {
  const path = config.workflowBundlePath;
  return path ? { code: readFileSync(tracing ? tracedBundlePath(path) : path, 'utf8') } : undefined;
}

/** The Deliverect hand-offs, their calls to Temporal aborted by the activity's signal. */
function abortableHandOff(temporal: Client, handOff: DeliverectHandOff): DeliverectHandOffPorts {
  return {
    startOrder: (id, signal) => temporal.withAbortSignal(signal, () => handOff.startOrder(id)),
    cancelOrder: (id, signal) => temporal.withAbortSignal(signal, () => handOff.cancelOrder(id)),
    deadLetter: (id, why) => handOff.deadLetter(id, why),
  };
}
