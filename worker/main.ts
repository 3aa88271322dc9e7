import { NativeConnection, Runtime } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { createActivities } from '../activities';
import { createWebhookDelivery } from '../activities/webhook-delivery';
import { connectServices } from '../application/wiring';
import { loadConfig } from '../config/env';
import { StoreClientHealth } from '../store/client-health';
import { createLogger } from '../config/logger';
import { ensureReconciliationSchedule } from './reconciliation-schedule';
import { createWebhookWorker, createWorker, tracedBundlePath } from './create-worker';
import { installWorkerRuntime } from './runtime';

// The worker serves no HTTP, so it needs no API keys: embedded mode only relaxes that requirement.
const config = loadConfig(process.env, { embedded: true });
const logger = createLogger(config.logLevel, 'worker');
installWorkerRuntime({ metricsAddress: config.workerMetricsAddress });
const services = await connectServices(config, { serviceName: 'redemption-worker' });
const { mongo, tracing, temporal } = services;
const connection = await NativeConnection.connect({ address: config.temporal.address });
try {
  await ensureReconciliationSchedule(services.temporal, config);
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({ db: mongo.db, config, logger, temporal, meter: Runtime.instance().metricMeter }),
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    tracing,
    // A traced worker runs the bundle that has the OpenTelemetry workflow interceptors in it.
    workflowBundle: config.workflowBundlePath
      ? {
          code: readFileSync(tracing ? tracedBundlePath(config.workflowBundlePath) : config.workflowBundlePath, 'utf8'),
        }
      : undefined,
  });
  const webhookWorker = await createWebhookWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.webhooks.taskQueue,
    activities: createWebhookDelivery(mongo.db, {
      retentionMs: config.webhooks.deliveryRetentionDays * 86_400_000,
      allowPrivateUrls: config.webhooks.allowPrivateUrls,
    }),
    tracing,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      worker.shutdown();
      webhookWorker.shutdown();
    });
  }
  // A store client that does not recover although the store is back is this process's to fix: its supervisor
  // restarts it once it exits.
  const stopWatching = new StoreClientHealth(mongo.db, config.mongo).watch(() => {
    logger.error('the store client has not recovered although the store answers a new client; exiting to be restarted');
    process.exitCode = 1;
    worker.shutdown();
    webhookWorker.shutdown();
  });
  logger.info({ taskQueue: config.temporal.taskQueue, webhookTaskQueue: config.webhooks.taskQueue }, 'worker running');
  // Either one failing stops the process: its supervisor restarts both.
  await Promise.all([worker.run(), webhookWorker.run()]).finally(stopWatching);
} finally {
  await connection.close();
  await services.close();
}
