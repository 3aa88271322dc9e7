import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { connectMongo } from '../store/connect';
import { createWorker } from './create-worker';

const config = loadConfig(process.env, { embedded: true });
const logger = createLogger(config.logLevel, 'worker');
const mongo = await connectMongo(config.mongo.uri, config.mongo.db);
const connection = await NativeConnection.connect({ address: config.temporal.address });
try {
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({ db: mongo.db, config, logger }),
  });
  logger.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  await worker.run();
} finally {
  await connection.close();
  await mongo.client.close();
}
