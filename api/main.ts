import { connectServices } from '../application/wiring';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { hasEveryScope } from '../domain/scopes';
import { composeApi } from './compose';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel, 'api');
if (!config.secrets.key) {
  logger.warn('SECRETS_ENCRYPTION_KEY is not set: webhook signing secrets are stored unsealed. Set it in production.');
}
// Outside `npm start`: a key that can do everything is what a leak should never hand over.
for (const { client, scopes } of config.apiKeys) {
  if (hasEveryScope(scopes)) {
    logger.warn(
      { client },
      `An API key of client ${client} has every scope; give each key only the scopes its holder needs (API_KEYS entries client:key:scope+scope).`,
    );
  }
}
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
