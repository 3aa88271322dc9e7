import { DeliverectInbox } from '../application/deliverect-inbox';
import { connectServices } from '../application/wiring';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { closeServer, listen } from './server';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel, 'api');
const services = await connectServices(config, { serviceName: 'redemption-api' });
const deps = { config, db: services.mongo.db, temporal: services.temporal, logger };
const { server, url } = await listen(deps, config.port);
logger.info({ url }, 'API listening');
const inbox = new DeliverectInbox(deps);
const stopResuming = inbox.resumeContinuously();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (async () => {
      stopResuming();
      await closeServer(server);
      await services.close();
    })();
  });
}
