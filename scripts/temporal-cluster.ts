/**
 * A Temporal cluster as production runs one, on one machine: the server built from `go.temporal.io/server`, its
 * persistence and visibility on PostgreSQL, and each service in a process of its own, history as two processes that
 * split the shards through membership. This module writes each process's configuration, creates and upgrades the
 * schema with the server's own SQL tool, registers the namespace and our search attributes, and says how to run each
 * process; the caller supervises them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { SEARCH_ATTRIBUTE_KEYS } from '../domain/search-attributes';
import { CLI_SEARCH_ATTRIBUTE_TYPES } from './servers';
import type { ProcessSpec } from './supervisor';
import { TEMPORAL_SERVER, TEMPORAL_UI_SERVER, resolveGoTool, toolFilesDir, toolsBin } from './tools';

/** Fixed when the cluster is created: production clusters take 512 to 2,048; a laptop needs few. */
export const NUM_HISTORY_SHARDS = 4;

export interface ServicePorts {
  grpc: number;
  membership: number;
  /** Where the process serves its Prometheus metrics. */
  metrics: number;
}

export interface TemporalClusterPorts {
  frontend: ServicePorts & { http: number };
  history: [ServicePorts, ServicePorts];
  matching: ServicePorts;
  worker: ServicePorts;
  ui: number;
  postgres: number;
}

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  schemaDir: string;
  uiServer: string;
}

/** Builds the server, its SQL tool and the UI server from their Go modules when they are missing. */
export async function resolveTemporalServer(
  log: (line: string) => void = console.log,
): Promise<TemporalServerBinaries> {
  const server = await resolveGoTool(TEMPORAL_SERVER, log);
  const uiServer = await resolveGoTool(TEMPORAL_UI_SERVER, log);
  return {
    server,
    sqlTool: join(toolsBin, 'temporal-sql-tool'),
    schemaDir: join(toolFilesDir(TEMPORAL_SERVER), 'schema', 'postgresql', 'v12'),
    uiServer,
  };
}

/** The processes of the cluster, by name; each name is also its configuration's environment name. */
const SERVER_PROCESSES = [
  { name: 'temporal-frontend', service: 'frontend' },
  { name: 'temporal-history-1', service: 'history', instance: 0 },
  { name: 'temporal-history-2', service: 'history', instance: 1 },
  { name: 'temporal-matching', service: 'matching' },
  { name: 'temporal-worker', service: 'worker' },
] as const;

type ServerProcess = (typeof SERVER_PROCESSES)[number];

const DATABASES = { default: 'temporal', visibility: 'temporal_visibility' } as const;

function sqlStore(databaseName: string, postgresPort: number, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${postgresPort}`,
      connectProtocol: 'tcp',
      user: 'postgres',
      password: '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

function rpc(ports: ServicePorts) {
  return { grpcPort: ports.grpc, membershipPort: ports.membership, bindOnLocalHost: true };
}

function metricsPortOf(process: ServerProcess, ports: TemporalClusterPorts): number {
  if (process.service === 'history') return ports.history[process.instance].metrics;
  return ports[process.service].metrics;
}

/**
 * One process's configuration. They differ only in where that process listens: the others find each history process
 * through membership, not through its configuration.
 */
function serverConfig(process: ServerProcess, ports: TemporalClusterPorts, dynamicConfigFile: string) {
  const history = ports.history[process.service === 'history' ? process.instance : 0];
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: NUM_HISTORY_SHARDS,
      datastores: {
        'postgres-default': sqlStore(DATABASES.default, ports.postgres, 20),
        'postgres-visibility': sqlStore(DATABASES.visibility, ports.postgres, 10),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: {
        prometheus: {
          framework: 'tally',
          timerType: 'histogram',
          listenAddress: `127.0.0.1:${metricsPortOf(process, ports)}`,
        },
      },
    },
    services: {
      frontend: { rpc: { ...rpc(ports.frontend), httpPort: ports.frontend.http } },
      history: { rpc: rpc(history) },
      matching: { rpc: rpc(ports.matching) },
      worker: { rpc: rpc(ports.worker) },
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: frontendAddress(ports) },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    publicClient: { hostPort: frontendAddress(ports) },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

export function frontendAddress(ports: TemporalClusterPorts): string {
  return `127.0.0.1:${ports.frontend.grpc}`;
}

/** Runs the SQL tool; rejects with its output when it fails. */
function runSqlTool(sqlTool: string, postgresPort: number, database: string, args: string[]): Promise<void> {
  const common = ['--plugin', 'postgres12', '--endpoint', '127.0.0.1', '--port', String(postgresPort)];
  return new Promise((resolve, reject) => {
    const child = spawn(sqlTool, [...common, '--user', 'postgres', '--database', database, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`temporal-sql-tool ${args[0]} failed:\n${output}`)),
    );
  });
}

/**
 * Creates the two databases and their schema on first start, and brings them to the server's schema version on every
 * start (the SQL tool applies only what is missing), as Temporal's own setup does.
 */
export async function setUpSchema(binaries: TemporalServerBinaries, postgresPort: number): Promise<void> {
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${postgresPort}/postgres` });
  await client.connect();
  try {
    for (const [kind, database] of Object.entries(DATABASES)) {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) {
        await runSqlTool(binaries.sqlTool, postgresPort, database, ['create-database']);
        await runSqlTool(binaries.sqlTool, postgresPort, database, ['setup-schema', '-v', '0.0']);
      }
      const versioned = join(binaries.schemaDir, kind === 'default' ? 'temporal' : 'visibility', 'versioned');
      await runSqlTool(binaries.sqlTool, postgresPort, database, ['update-schema', '-d', versioned]);
    }
  } finally {
    await client.end();
  }
}

/**
 * The dynamic configuration every deployment of ours needs (deploy/temporal-dynamicconfig.yaml), plus one task-queue
 * partition: with the few pollers of one machine, the default four leave tasks waiting on partitions nobody polls.
 */
function writeDynamicConfig(file: string, deployedConfig: string): void {
  const onePartition = [
    'matching.numTaskqueueReadPartitions:',
    '  - value: 1',
    'matching.numTaskqueueWritePartitions:',
    '  - value: 1',
  ];
  writeFileSync(file, `${readFileSync(deployedConfig, 'utf8').trimEnd()}\n${onePartition.join('\n')}\n`);
}

/** Writes every process's configuration under `dir` and answers how to run each, the UI server included. */
export function temporalClusterProcesses(
  binaries: TemporalServerBinaries,
  options: { ports: TemporalClusterPorts; dir: string; deployedDynamicConfig: string; namespace: string },
): ProcessSpec[] {
  const { ports, dir } = options;
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const dynamicConfigFile = join(configDir, 'dynamicconfig.yaml');
  writeDynamicConfig(dynamicConfigFile, options.deployedDynamicConfig);
  const servers = SERVER_PROCESSES.map((process): ProcessSpec => {
    // YAML is a superset of JSON: the server reads this as its YAML configuration.
    writeFileSync(
      join(configDir, `${process.name}.yaml`),
      JSON.stringify(serverConfig(process, ports, dynamicConfigFile)),
    );
    const { membership } = process.service === 'history' ? ports.history[process.instance] : ports[process.service];
    return {
      name: process.name,
      command: binaries.server,
      args: [
        '--root',
        dir,
        '--config',
        'config',
        '--env',
        process.name,
        '--allow-no-auth',
        'start',
        '--service',
        process.service,
      ],
      logFile: join(dir, `${process.name}.log`),
      // Every service joins the membership ring; not every one serves gRPC.
      ready: { port: membership },
    };
  });
  const uiRoot = join(dir, 'ui');
  mkdirSync(join(uiRoot, 'config'), { recursive: true });
  writeFileSync(
    join(uiRoot, 'config', 'cluster.yaml'),
    JSON.stringify({
      temporalGrpcAddress: frontendAddress(ports),
      host: '127.0.0.1',
      port: ports.ui,
      enableUi: true,
      defaultNamespace: options.namespace,
      cors: { allowOrigins: [`http://localhost:${ports.ui}`], cookieInsecure: true },
    }),
  );
  const ui: ProcessSpec = {
    name: 'temporal-ui',
    command: binaries.uiServer,
    args: ['--root', uiRoot, '--config', 'config', '--env', 'cluster', 'start'],
    logFile: join(dir, 'temporal-ui.log'),
    ready: { port: ports.ui },
  };
  return [...servers, ui];
}

/**
 * Registers the namespace (retention: 3 days) and our search attributes with the Temporal CLI, as an operator would.
 * A new namespace is served once the services refresh their namespace cache, a few seconds later.
 */
export async function registerNamespace(
  temporalCli: string,
  ports: TemporalClusterPorts,
  namespace: string,
): Promise<void> {
  const cli = (...args: string[]) =>
    spawnSync(temporalCli, [...args, '--address', frontendAddress(ports), '--namespace', namespace], {
      encoding: 'utf8',
    });
  if (cli('operator', 'namespace', 'describe').status !== 0) {
    const created = cli('operator', 'namespace', 'create', '--retention', '72h');
    if (created.status !== 0) throw new Error(`Creating the namespace ${namespace} failed: ${created.stderr}`);
  }
  const deadline = Date.now() + 60_000;
  while (cli('operator', 'search-attribute', 'list').status !== 0) {
    if (Date.now() > deadline) throw new Error(`The namespace ${namespace} was not served within 60 s.`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  for (const key of SEARCH_ATTRIBUTE_KEYS) {
    // The server skips an attribute that is already registered.
    const type = CLI_SEARCH_ATTRIBUTE_TYPES[key.type]!;
    const added = cli('operator', 'search-attribute', 'create', '--name', key.name, '--type', type);
    if (added.status !== 0) throw new Error(`Registering the search attribute ${key.name} failed: ${added.stderr}`);
  }
}
