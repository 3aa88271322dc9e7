import { connectServices } from '../application/wiring';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { exitWhenStuck, ServiceHealth } from '../application/health';
import { composeWorker } from './compose';
import { installTemporalRuntime } from '../application/temporal-runtime';

// The worker serves no HTTP, so it needs no API keys: embedded mode only relaxes that requirement.
const config = loadConfig(process.env, { embedded: true });
const logger = createLogger(config.logLevel, 'worker');
if (!config.secrets.key) {
  logger.warn('SECRETS_ENCRYPTION_KEY is not set: webhook signing secrets are stored unsealed. Set it in production.');
}
installTemporalRuntime({ metricsAddress: config.workerMetricsAddress });
const services = await connectServices(config, { serviceName: 'redemption-worker', waitForDependencies: logger });
try {
  const worker = await composeWorker(config, { logger, services });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
  const health = new ServiceHealth({ db: services.mongo.db, temporal: services.temporal, config });
  const stopWatching = exitWhenStuck(health, logger, () => worker.shutdown());
  logger.info({ taskQueue: config.temporal.taskQueue, webhookTaskQueue: config.webhooks.taskQueue }, 'worker running');
  try {
    // Either worker failing stops the process: its supervisor restarts both.
    await worker.run().finally(stopWatching);
  } finally {
    await worker.close();
  }
} finally {
  await services.close();
}
