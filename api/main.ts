import { connectServices } from '../application/wiring';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { composeApi } from './compose';
import { warnOfLaxSettings } from './start-warnings';
import { exitWhenStuck } from '../application/health';

/** How long a stuck API may take to close before it exits anyway. */
const STUCK_EXIT_GRACE_MS = 10_000;

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel, 'api');
warnOfLaxSettings(config, logger);
const services = await connectServices(config, { serviceName: 'redemption-api', waitForDependencies: logger });
const api = await composeApi(config, { logger, services });
logger.info({ url: api.url }, 'API listening');

// A store client that does not recover although the store is back answers every request 503 until the process starts
// again: it exits, whether or not its supervisor probes /healthz. Connections a stuck client holds may not close.
const stopWatching = exitWhenStuck(api.application.health, logger, () => {
  setTimeout(() => process.exit(), STUCK_EXIT_GRACE_MS).unref();
  void stop().finally(() => process.exit());
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());

async function stop() {
  stopWatching();
  await api.close();
  await services.close();
}
