/**
 * What the production topology costs (`npm run bench:cluster`): immediate redemptions through an API and a worker
 * process on the Temporal cluster of `npm run start:cluster` against the same on a Temporal dev server, each against
 * an empty workflow on the same server, and on the cluster one worker against two. Both share one store (the
 * cluster's), so that only Temporal differs. For each redemption scenario it reports every process's CPU seconds per
 * redemption, and on the cluster the requests each hop made (frontend → history → matching) and the persistence
 * operations per redemption. Writes bench/results/cluster.json.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient, type Db } from 'mongodb';
import { freePort, isPortOpen } from '../scripts/processes';
import { temporalDevServerArgs } from '../scripts/servers';
import { SupervisedProcess } from '../scripts/supervisor';
import { frontendAddress } from '../scripts/temporal-cluster';
import { resolveGoTool, TEMPORAL_CLI } from '../scripts/tools';
import { ensureIndexes } from '../store/indexes';
import { startCluster, stopCluster, type Cluster } from '../test/harness/cluster';
import { createMemberWithPoints, createOption } from '../test/harness/fixtures';
import { samplesOf, scrape } from '../test/harness/prometheus';
import { createWorker } from '../worker/create-worker';
import { installTemporalRuntime } from '../application/temporal-runtime';
import * as benchActivities from './activities';
import { answered, apiClient, redemptionIn } from './api-client';
import { cpuPerOperation, cpuSnapshot } from './cpu';
import { compare, round } from './latency';
import {
  againstBaseline,
  measureAfterWarmUp,
  NAMESPACE,
  positiveInt,
  printTable,
  tearDown,
  warmUpCount,
  writeResults,
  type Row,
  type Teardown,
} from './measure';
import type { emptyWorkflow } from './workflows';

const settings = {
  redemptions: positiveInt('BENCH_REDEMPTIONS', 200),
  concurrency: positiveInt('BENCH_CONCURRENCY', 10),
};
const CLIENT = 'bench';
const API_KEY = 'bench-api-key';
const COST_POINTS = 100;
const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const benchWorkflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

interface Target {
  name: string;
  address: string;
  /** Temporal's processes, whose CPU the redemptions cost. */
  temporalPids: Record<string, number>;
}

/** The empty workflow, executed one after another by `concurrency` clients, on an in-process worker. */
async function emptyWorkflowBaseline(target: Target): Promise<Row> {
  const connection = await NativeConnection.connect({ address: target.address });
  const client = new Client({
    connection: await Connection.connect({ address: target.address }),
    namespace: NAMESPACE,
  });
  try {
    const taskQueue = `bench-empty-${process.pid}-${Date.now()}`;
    const worker = await createWorker(
      { connection, namespace: NAMESPACE, taskQueue, activities: benchActivities },
      { workflowsPath: benchWorkflowsPath, shutdownGraceTime: '5 seconds' },
    );
    return await worker.runUntil(() =>
      measureAfterWarmUp(
        `${target.name}: empty workflow (baseline)`,
        settings.redemptions,
        settings.concurrency,
        (index) =>
          client.workflow.execute<typeof emptyWorkflow>('emptyWorkflow', {
            taskQueue,
            workflowId: `${taskQueue}-${index}`,
          }),
      ),
    );
  } finally {
    await client.connection.close();
    await connection.close();
  }
}

/** Temporal's counters for our namespace on every process of the cluster, summed by what they count. */
async function temporalCounters(cluster: Cluster): Promise<Record<string, number>> {
  const { temporal } = cluster.ports;
  const ports = [temporal.frontend, ...temporal.history, temporal.matching, temporal.worker].map(
    ({ metrics }) => metrics,
  );
  const counters: Record<string, number> = {};
  const add = (key: string, value: number) => (counters[key] = (counters[key] ?? 0) + value);
  for (const port of ports) {
    const exposition = await scrape(`http://127.0.0.1:${port}/metrics`);
    for (const name of ['service_requests', 'client_requests', 'persistence_requests', 'persistence_latency_sum']) {
      for (const { labels, value } of samplesOf(exposition, name)) {
        if (labels.namespace !== NAMESPACE) continue;
        const hop =
          name === 'client_requests' ? `${labels.service_name} → ${labels.service_role}` : labels.service_name;
        add(`${name} ${hop} ${labels.operation}`, value);
      }
    }
  }
  return counters;
}

/** Per redemption, what each hop asked of the next and what the history and matching services asked of PostgreSQL. */
function hopsPerRedemption(before: Record<string, number>, after: Record<string, number>, redemptions: number) {
  const per = (prefix: string, scale = 1) => {
    const entries = Object.keys(after)
      .filter((key) => key.startsWith(`${prefix} `))
      .map((key): [string, number] => [
        key.slice(prefix.length + 1),
        round(((after[key]! - (before[key] ?? 0)) * scale) / redemptions, 2),
      ])
      .filter(([, value]) => value > 0)
      .sort(([, a], [, b]) => b - a);
    return {
      total: round(
        entries.reduce((sum, [, value]) => sum + value, 0),
        2,
      ),
      by_operation: Object.fromEntries(entries),
    };
  };
  return {
    service_requests: per('service_requests'),
    client_requests: per('client_requests'),
    persistence_requests: per('persistence_requests'),
    persistence_ms: per('persistence_latency_sum', 1000),
  };
}

/** An API and a worker process of the product, as the image runs them, against the target's Temporal. */
async function startProduct(target: Target, cluster: Cluster, index: number, teardown: Teardown) {
  const port = await freePort();
  const env = {
    API_KEYS: `${CLIENT}:${API_KEY}`,
    PORT: String(port),
    TEMPORAL_ADDRESS: target.address,
    TEMPORAL_TASK_QUEUE: `bench-${index}`,
    MONGODB_URI: `mongodb://127.0.0.1:${cluster.ports.store}`,
    MONGODB_DB: `bench_cluster_${index}`,
    FERRETDB_POSTGRESQL_URL: `postgres://postgres@127.0.0.1:${cluster.ports.storePostgres}/postgres`,
    WORKFLOW_BUNDLE_PATH: join(cluster.dir, 'dist', 'workflow-bundle.js'),
    WORKER_METRICS_ADDRESS: 'off',
    RECONCILE_SCHEDULE: 'off',
    REDEMPTION_SYNC_WAIT_MS: '60000',
  };
  const node = async (name: string, entry: string, ready: { port: number } | { logLine: string }) => {
    const child = new SupervisedProcess({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', entry],
      cwd: projectRoot,
      env,
      logFile: join(cluster.dir, `bench-${index}-${name}.log`),
      ready,
    });
    await child.start();
    teardown.push(() => child.stop());
    return child;
  };
  const worker = await node('worker-1', 'worker/main.ts', { logLine: 'worker running' });
  const api = await node('api', 'api/main.ts', { port });
  return {
    url: `http://127.0.0.1:${port}`,
    processes: { api, worker },
    addWorker: () => node('worker-2', 'worker/main.ts', { logLine: 'worker running' }),
    db: env.MONGODB_DB,
  };
}

async function newMembers(db: Db, count: number) {
  return Promise.all(Array.from({ length: count }, () => createMemberWithPoints(db, COST_POINTS)));
}

interface ScenarioFigures {
  row: Row;
  cpu_seconds_per_redemption: Record<string, number>;
  hops?: ReturnType<typeof hopsPerRedemption>;
}

async function benchTarget(target: Target, cluster: Cluster, index: number, store: MongoClient, teardown: Teardown) {
  const baseline = await emptyWorkflowBaseline(target);
  const product = await startProduct(target, cluster, index, teardown);
  const db = store.db(product.db);
  await ensureIndexes(db, `postgres://postgres@127.0.0.1:${cluster.ports.storePostgres}/postgres`);
  const option = await createOption(db, { cost_points: COST_POINTS });
  const api = apiClient(product.url, API_KEY);
  const clusterPids = cluster.pids();
  const storePids = { FerretDB: clusterPids.store!, 'store PostgreSQL': clusterPids['store-postgresql']! };

  const redemptions = async (name: string, workerPids: Record<string, number>): Promise<ScenarioFigures> => {
    const members = await newMembers(
      db,
      warmUpCount(settings.redemptions, settings.concurrency) + settings.redemptions,
    );
    const pids = { API: product.processes.api.pid!, ...workerPids, ...target.temporalPids, ...storePids };
    let cpuBefore = cpuSnapshot(pids);
    let countersBefore = target.name === 'cluster' ? await temporalCounters(cluster) : undefined;
    const row = await measureAfterWarmUp(
      name,
      settings.redemptions,
      settings.concurrency,
      async (member) => {
        const body = { customer_email: members[member]!.email!, redemption_option_id: option.id };
        redemptionIn(await answered(api.POST('/v1/redemptions', { body }), 201), 'completed');
      },
      async () => {
        cpuBefore = cpuSnapshot(pids);
        countersBefore = target.name === 'cluster' ? await temporalCounters(cluster) : undefined;
      },
    );
    return {
      row,
      cpu_seconds_per_redemption: cpuPerOperation(cpuBefore, cpuSnapshot(pids), settings.redemptions),
      ...(countersBefore
        ? { hops: hopsPerRedemption(countersBefore, await temporalCounters(cluster), settings.redemptions) }
        : {}),
    };
  };

  const oneWorker = await redemptions(
    `${target.name}: immediate redemption, 1 worker, ${settings.concurrency} in flight`,
    {
      'worker 1': product.processes.worker.pid!,
    },
  );
  let twoWorkers: ScenarioFigures | undefined;
  if (target.name === 'cluster') {
    const second = await product.addWorker();
    twoWorkers = await redemptions(
      `${target.name}: immediate redemption, 2 workers, ${settings.concurrency} in flight`,
      {
        'worker 1': product.processes.worker.pid!,
        'worker 2': second.pid!,
      },
    );
    await second.stop();
  }
  await product.processes.api.stop();
  await product.processes.worker.stop();
  return { baseline, oneWorker, twoWorkers };
}

/** A dev server as `npm start` runs it (SQLite), as a child of ours so that its CPU time can be read. */
async function startDevServer(teardown: Teardown): Promise<Target> {
  const cli = await resolveGoTool(TEMPORAL_CLI);
  const dir = mkdtempSync(join(tmpdir(), 'bench-dev-server-'));
  teardown.push(async () => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const server = new SupervisedProcess({
    name: 'temporal dev server',
    command: cli,
    args: temporalDevServerArgs({ port, dbFilename: join(dir, 'temporal.db'), namespace: NAMESPACE }),
    logFile: join(dir, 'temporal.log'),
    ready: { port },
  });
  await server.start();
  teardown.push(() => server.stop());
  while (!(await isPortOpen(port))) await new Promise((resolve) => setTimeout(resolve, 100));
  return { name: 'dev server', address: `127.0.0.1:${port}`, temporalPids: { 'Temporal dev server': server.pid! } };
}

async function main() {
  installTemporalRuntime();
  const teardown: Teardown = [];
  try {
    console.log('Starting the production topology (npm run start:cluster) and a Temporal dev server...');
    const cluster = await startCluster({ API_KEYS: `${CLIENT}:${API_KEY}`, RECONCILE_SCHEDULE: 'off' });
    teardown.push(() => stopCluster(cluster));
    const devServer = await startDevServer(teardown);
    const pids = cluster.pids();
    const clusterTarget: Target = {
      name: 'cluster',
      address: frontendAddress(cluster.ports.temporal),
      temporalPids: Object.fromEntries(
        [
          'temporal-frontend',
          'temporal-history-1',
          'temporal-history-2',
          'temporal-matching',
          'temporal-worker',
          'temporal-postgresql',
        ].map((name) => [name.replace('temporal-', 'Temporal '), pids[name]!]),
      ),
    };
    const store = await MongoClient.connect(`mongodb://127.0.0.1:${cluster.ports.store}`, { ignoreUndefined: true });
    teardown.push(() => store.close());

    const dev = await benchTarget(devServer, cluster, 1, store, teardown);
    const onCluster = await benchTarget(clusterTarget, cluster, 2, store, teardown);
    const rows: Row[] = [
      dev.baseline,
      againstBaseline(dev.oneWorker.row, dev.baseline),
      againstBaseline(onCluster.baseline, dev.baseline),
      againstBaseline(onCluster.oneWorker.row, dev.oneWorker.row),
      againstBaseline(onCluster.twoWorkers!.row, onCluster.oneWorker.row),
    ];
    printTable(rows);
    const versions = {
      temporal_cli: execFileSync(await resolveGoTool(TEMPORAL_CLI), ['--version'], { encoding: 'utf8' }).trim(),
      temporal_server: 'v1.29.1 (go.temporal.io/server), 4 history shards, two history processes',
      mongo: 'ferretdb',
    };
    writeResults('cluster', versions, {
      settings,
      rows,
      comparisons: {
        'cluster vs dev server: immediate redemption, 1 worker': compare(onCluster.oneWorker.row, dev.oneWorker.row),
        'cluster vs dev server: empty workflow': compare(onCluster.baseline, dev.baseline),
        'cluster: 2 workers vs 1': compare(onCluster.twoWorkers!.row, onCluster.oneWorker.row),
        'dev server: immediate redemption vs empty workflow': compare(dev.oneWorker.row, dev.baseline),
        'cluster: immediate redemption vs empty workflow': compare(onCluster.oneWorker.row, onCluster.baseline),
      },
      where_the_time_goes: {
        'dev server, 1 worker': { cpu_seconds_per_redemption: dev.oneWorker.cpu_seconds_per_redemption },
        'cluster, 1 worker': {
          cpu_seconds_per_redemption: onCluster.oneWorker.cpu_seconds_per_redemption,
          ...onCluster.oneWorker.hops,
        },
        'cluster, 2 workers': {
          cpu_seconds_per_redemption: onCluster.twoWorkers!.cpu_seconds_per_redemption,
          ...onCluster.twoWorkers!.hops,
        },
      },
    });
  } finally {
    await tearDown(teardown);
  }
}

await main();
