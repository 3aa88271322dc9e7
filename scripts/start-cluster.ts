/**
 * `npm run start:cluster`: the production topology on one machine, every process on its own and supervised. A
 * Temporal cluster (frontend, two history processes, matching, worker, UI) on its own PostgreSQL; the store (FerretDB
 * on PostgreSQL); two API replicas and two workers. A process that exits is started again a second later, as
 * Kubernetes would; Ctrl-C stops everything.
 *
 * CLUSTER_DATA_DIR moves its data (default .data/cluster); CLUSTER_PORT_BASE moves every port to base + n, for tests
 * that run it beside other servers.
 */
import { MongoClient } from 'mongodb';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/env';
import { writeFileAtomically } from './atomic-write';
import { ensureIndexes } from '../store/indexes';
import { seedDemoData } from './demo-data';
import { embeddedCredentials } from './embedded-credentials';
import { ferretDbProcess, mongodArgs } from './servers';
import { preparePostgres } from './postgres';
import { runStack } from './run-stack';
import { SupervisedProcess, type ProcessSpec } from './supervisor';
import {
  frontendAddress,
  registerNamespace,
  resolveTemporalServer,
  setUpSchema,
  temporalClusterProcesses,
  type TemporalClusterPorts,
} from './temporal-cluster';
import { TEMPORAL_CLI, resolveGoTool, resolveMongoServer } from './tools';
import { clusterPorts } from './cluster-ports';
import {
  clusterBundlePath,
  clusterDataDir,
  clusterLogPath,
  clusterPidsPath,
  clusterWorkerName,
} from './cluster-layout';
import { writeWorkflowBundles } from './workflow-bundles';

const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dataDir = clusterDataDir();
const ports = clusterPorts(process.env.CLUSTER_PORT_BASE ? Number(process.env.CLUSTER_PORT_BASE) : undefined);

const running: SupervisedProcess[] = [];
const pids: Record<string, number> = {};

/** The supervisor's view, for whoever wants to find a process (the cluster test kills them by pid). */
function recordPid(name: string, pid: number): void {
  pids[name] = pid;
  writeFileAtomically(clusterPidsPath(dataDir), JSON.stringify(pids, null, 2));
}

async function supervise(spec: ProcessSpec): Promise<SupervisedProcess> {
  const process = new SupervisedProcess(spec);
  process.onStart = (pid) => recordPid(spec.name, pid);
  process.onCrash = (exit) => console.log(`[supervisor] ${spec.name} ${exit}; starting it again`);
  running.push(process);
  await process.start();
  return process;
}

async function stopAll(): Promise<void> {
  for (const process of running.reverse()) await process.stop();
}

async function main() {
  mkdirSync(dataDir, { recursive: true });
  const credentials = embeddedCredentials(process.env);
  // Parsed like every other entry point's, so that a bad variable stops the cluster before anything starts.
  const config = loadConfig({ ...process.env, ...credentials.env });
  for (const warning of credentials.warnings) console.warn(warning);

  console.log('Building or finding the Temporal server, its UI and the store...');
  const temporalBinaries = await resolveTemporalServer();
  const storeBinary = await resolveMongoServer();

  console.log('Starting PostgreSQL for Temporal and the store...');
  const temporalPostgres = await preparePostgres({
    port: ports.temporal.postgres,
    dataDir: join(dataDir, 'temporal-postgres'),
  });
  await supervise({ ...temporalPostgres.spec, name: 'temporal-postgresql' });
  let storePostgresUrl: string | undefined;
  if (storeBinary.kind === 'ferretdb') {
    const storePostgres = await preparePostgres({
      port: ports.storePostgres,
      dataDir: join(dataDir, 'store-postgres'),
    });
    await supervise({ ...storePostgres.spec, name: 'store-postgresql' });
    storePostgresUrl = storePostgres.url;
  }
  mkdirSync(join(dataDir, 'store'), { recursive: true });
  const storeLog = join(dataDir, 'store.log');
  await supervise(
    storeBinary.kind === 'ferretdb'
      ? {
          ...ferretDbProcess(storeBinary.path, {
            postgresUrl: storePostgresUrl!,
            port: ports.store,
            stateDir: join(dataDir, 'store'),
            logFile: storeLog,
          }),
          name: 'store',
        }
      : {
          name: 'store',
          command: storeBinary.path,
          args: mongodArgs(ports.store, join(dataDir, 'store')),
          logFile: storeLog,
          ready: { port: ports.store },
        },
  );

  console.log('Starting the Temporal cluster...');
  await setUpSchema(temporalBinaries, ports.temporal.postgres);
  const temporalDir = join(dataDir, 'temporal');
  for (const spec of temporalClusterProcesses(temporalBinaries, {
    ports: ports.temporal,
    dir: temporalDir,
    deployedDynamicConfig: join(projectRoot, 'deploy', 'temporal-dynamicconfig.yaml'),
    namespace: config.temporal.namespace,
  })) {
    await supervise(spec);
  }
  await registerNamespace(await resolveGoTool(TEMPORAL_CLI), ports.temporal, config.temporal.namespace);

  const mongoUri = `mongodb://127.0.0.1:${ports.store}`;
  const mongo = await MongoClient.connect(mongoUri, { ignoreUndefined: true });
  const db = mongo.db(config.mongo.db);
  await ensureIndexes(db, storePostgresUrl);
  const seeded = await seedDemoData(db);
  await mongo.close();

  console.log('Bundling the workflows, as the image does...');
  const bundlePath = clusterBundlePath(dataDir);
  await writeWorkflowBundles(bundlePath);

  const appEnv = {
    ...credentials.env,
    TEMPORAL_ADDRESS: frontendAddress(ports.temporal),
    MONGODB_URI: mongoUri,
    FERRETDB_POSTGRESQL_URL: storePostgresUrl ?? '',
    WORKFLOW_BUNDLE_PATH: bundlePath,
  };
  const node = (name: string, entry: string, env: Record<string, string>, ready: ProcessSpec['ready']) =>
    supervise({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', entry],
      cwd: projectRoot,
      env: { ...appEnv, ...env },
      logFile: clusterLogPath(dataDir, name),
      ready,
    });
  console.log('Starting two workers and two API replicas...');
  for (const [index, metricsPort] of ports.workerMetrics.entries()) {
    await node(
      clusterWorkerName(index),
      'worker/main.ts',
      { WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}` },
      {
        logLine: 'worker running',
      },
    );
  }
  for (const [index, port] of ports.api.entries()) {
    await node(`api-${index + 1}`, 'api/main.ts', { PORT: String(port) }, { port });
  }

  printTopology(ports.temporal, seeded);
}

function printTopology(temporal: TemporalClusterPorts, seeded: string | undefined) {
  const apis = ports.api.map((port) => `http://localhost:${port}`).join(', ');
  console.log(
    [
      '',
      'The production topology is running, every process supervised:',
      `  API replicas        ${apis}   (/docs, /readyz, /metrics)`,
      `  Worker metrics      ${ports.workerMetrics.map((port) => `http://127.0.0.1:${port}/metrics`).join(', ')}`,
      `  Temporal frontend   ${frontendAddress(temporal)} (gRPC)`,
      `  Temporal history    gRPC ${temporal.history.map((history) => history.grpc).join(' and ')}, ${'sharing the shards'}`,
      `  Temporal matching   gRPC ${temporal.matching.grpc}; its worker service beside it`,
      `  Temporal UI         http://localhost:${temporal.ui}`,
      `  Temporal's store    PostgreSQL 127.0.0.1:${temporal.postgres}`,
      `  MongoDB-protocol    mongodb://127.0.0.1:${ports.store} (PostgreSQL 127.0.0.1:${ports.storePostgres})`,
      `  Data and logs       ${dataDir}`,
      seeded ? `  Demo data           ${seeded}` : '  Demo data           (database was not empty; nothing seeded)',
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
}

runStack(main, stopAll);
