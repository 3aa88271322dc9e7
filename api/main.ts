import { connectServices } from '../application/wiring';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { composeApi } from './compose';
import { warnOfLaxSettings } from './start-warnings';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel, 'api');
warnOfLaxSettings(config, logger);
const services = await connectServices(config, { serviceName: 'redemption-api' });
const api = await composeApi(config, { logger, services });
logger.info({ url: api.url }, 'API listening');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (async () => {
      await api.close();
      await services.close();
    })();
  });
}
