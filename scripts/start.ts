/**
 * `npm start`: the whole product on one machine. Starts a Temporal dev server and a MongoDB-protocol server (unless
 * TEMPORAL_ADDRESS / MONGODB_URI point elsewhere), then the worker and the API in this process, seeds demo data into
 * an empty database, prints the URLs, and stops everything it started on Ctrl-C.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectServices } from '../application/wiring';
import { composeApi } from '../api/compose';
import { DEV_API_KEY, loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { composeWorker } from '../worker/compose';
import { installTemporalRuntime } from '../application/temporal-runtime';
import { seedDemoData } from './demo-data';
import { warnOfLaxSettings } from '../api/start-warnings';
import { DEV_METRICS_TOKEN, embeddedCredentials } from './embedded-credentials';
import { runStack } from './run-stack';
import { isPortOpen, startMongoServer, startTemporal, type RunningServer } from './servers';
import { resolveMongoServer, resolveTemporalExecutable } from './tools';

const TEMPORAL_PORT = 7233;
const TEMPORAL_UI_PORT = 8233;
const MONGO_PORT = 27017;
const POSTGRES_PORT = 5433;
const dataDir = resolve(fileURLToPath(new URL('../.data', import.meta.url)));

const started: RunningServer[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

async function stopAll() {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  for (const server of started.reverse()) await server.stop();
}

async function ensurePortFree(port: number, variable: string) {
  if (await isPortOpen(port)) {
    throw new Error(`Port ${port} is already in use: stop whatever listens there, or set ${variable} to use it.`);
  }
}

async function main() {
  const embeddedTemporal = !process.env.TEMPORAL_ADDRESS;
  const embeddedMongo = !process.env.MONGODB_URI;
  // Development credentials exist only when every server is our own embedded one.
  const credentials = embeddedTemporal && embeddedMongo ? embeddedCredentials(process.env) : undefined;
  // A stack on one's own machine is where a receiver on localhost is the point: unless told otherwise.
  const config = loadConfig({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true', ...process.env, ...credentials?.env });
  // The Temporal runtime is a process-wide singleton; it must be set up before the dev server's test environment.
  installTemporalRuntime({ metricsAddress: config.workerMetricsAddress });
  const logger = createLogger(config.logLevel, 'orchestrator');
  for (const warning of credentials?.warnings ?? []) logger.warn(warning);
  // On real clusters the API's keys and secrets are production's.
  if (!credentials) warnOfLaxSettings(config, logger);

  if (embeddedTemporal) {
    await ensurePortFree(TEMPORAL_PORT, 'TEMPORAL_ADDRESS');
    const executable = await resolveTemporalExecutable();
    console.log('Starting the Temporal dev server...');
    started.push(
      await startTemporal(executable, {
        port: TEMPORAL_PORT,
        uiPort: TEMPORAL_UI_PORT,
        dbFilename: join(dataDir, 'temporal', 'temporal.db'),
        namespace: config.temporal.namespace,
      }),
    );
  }
  if (embeddedMongo) {
    await ensurePortFree(MONGO_PORT, 'MONGODB_URI');
    const binary = await resolveMongoServer();
    if (binary.kind === 'ferretdb') await ensurePortFree(POSTGRES_PORT, 'MONGODB_URI');
    console.log(binary.kind === 'ferretdb' ? 'Starting PostgreSQL and FerretDB...' : 'Starting mongod...');
    const store = await startMongoServer(binary, {
      port: MONGO_PORT,
      postgresPort: POSTGRES_PORT,
      dataDir: join(dataDir, 'store'),
    });
    started.push(store);
    config.mongo.postgresUrl = store.postgresUrl;
  }

  const services = await connectServices(config, { serviceName: 'redemption-orchestrator' });
  cleanups.push(() => services.close());
  const seeded = await seedDemoData(services.mongo.db);

  console.log('Bundling workflows and starting the worker...');
  const worker = await composeWorker(config, { logger, services });
  cleanups.push(() => worker.close());
  worker.run().catch(async (error: unknown) => {
    console.error(`The worker stopped: ${(error as Error).message}`);
    await stopAll();
    process.exit(1);
  });

  const apiServer = await composeApi(config, { logger, services, workerInProcess: true });
  cleanups.push(() => apiServer.close());

  const api = `http://localhost:${config.port}`;
  console.log(
    [
      '',
      'Redemption orchestrator is running:',
      `  API             ${api}   (Authorization: Bearer ${config.apiKeys.some(({ key }) => key === DEV_API_KEY) ? DEV_API_KEY : '<one of API_KEYS>'})`,
      `  API docs        ${api}/docs`,
      `  Readiness       ${api}/readyz`,
      `  Metrics         ${api}/metrics (API, Authorization: Bearer ${config.metricsToken === DEV_METRICS_TOKEN ? DEV_METRICS_TOKEN : '<METRICS_TOKEN>'})   ${config.workerMetricsAddress ? `http://${config.workerMetricsAddress}/metrics (worker)` : 'worker metrics off'}`,
      `  Temporal UI     ${embeddedTemporal ? `http://localhost:${TEMPORAL_UI_PORT}` : '(external cluster)'}`,
      `  Temporal        ${config.temporal.address}  namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}`,
      `  MongoDB         ${config.mongo.uri}  database ${config.mongo.db}`,
      seeded ? `  Demo data       ${seeded}` : '  Demo data       (database was not empty; nothing seeded)',
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
}

runStack(main, stopAll);
