import { connectServices } from '../application/wiring';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { StoreClientHealth } from '../store/client-health';
import { composeWorker } from './compose';
import { installTemporalRuntime } from '../application/temporal-runtime';

// The worker serves no HTTP, so it needs no API keys: embedded mode only relaxes that requirement.
const config = loadConfig(process.env, { embedded: true });
const logger = createLogger(config.logLevel, 'worker');
if (!config.secrets.key) {
  logger.warn('SECRETS_ENCRYPTION_KEY is not set: webhook signing secrets are stored unsealed. Set it in production.');
}
installTemporalRuntime({ metricsAddress: config.workerMetricsAddress });
const services = await connectServices(config, { serviceName: 'redemption-worker' });
try {
  const worker = await composeWorker(config, { logger, services });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
  // A store client that does not recover although the store is back is this process's to fix: its supervisor
  // restarts it once it exits.
  const stopWatching = new StoreClientHealth(services.mongo.db, config.mongo).watch(() => {
    logger.error('the store client has not recovered although the store answers a new client; exiting to be restarted');
    process.exitCode = 1;
    worker.shutdown();
  });
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
