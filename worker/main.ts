import { NativeConnection, Runtime } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { createActivities } from '../activities';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { startTracing } from '../config/tracing';
import { connectMongo } from '../store/connect';
import { createWorker, tracedBundlePath } from './create-worker';
import { installWorkerRuntime } from './runtime';

// The worker serves no HTTP, so it needs no API keys: embedded mode only relaxes that requirement.
const config = loadConfig(process.env, { embedded: true });
const logger = createLogger(config.logLevel, 'worker');
installWorkerRuntime({ metricsAddress: config.workerMetricsAddress });
const tracing = await startTracing(config.tracing, 'redemption-worker');
const mongo = await connectMongo(config.mongo);
const connection = await NativeConnection.connect({ address: config.temporal.address });
try {
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({ db: mongo.db, config, logger, meter: Runtime.instance().metricMeter }),
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    tracing,
    // A traced worker runs the bundle that has the OpenTelemetry workflow interceptors in it.
    workflowBundle: config.workflowBundlePath
      ? {
          code: readFileSync(tracing ? tracedBundlePath(config.workflowBundlePath) : config.workflowBundlePath, 'utf8'),
        }
      : undefined,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
  logger.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  await worker.run();
} finally {
  await connection.close();
  await mongo.client.close();
  await tracing?.shutdown();
}
