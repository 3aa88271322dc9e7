import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { startTracing } from '../config/tracing';
import { connectMongo } from '../store/connect';
import { closeServer, listen } from './server';
import { DeliverectInbox } from './webhooks/deliverect-inbox';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel, 'api');
const tracing = await startTracing(config.tracing, 'redemption-api');
const mongo = await connectMongo(config.mongo);
const connection = await Connection.connect({ address: config.temporal.address });
const temporal = new Client({
  connection,
  namespace: config.temporal.namespace,
  interceptors: tracing?.clientInterceptors,
});
const deps = { config, db: mongo.db, temporal, logger };
const { server, url } = await listen(deps, config.port);
logger.info({ url }, 'API listening');
const inbox = new DeliverectInbox(deps);
await inbox.resumePending();
const stopResuming = inbox.resumeContinuously();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (async () => {
      stopResuming();
      await closeServer(server);
      await connection.close();
      await mongo.client.close();
      await tracing?.shutdown();
    })();
  });
}
