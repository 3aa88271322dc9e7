/**
 * A process's store client is stuck when it keeps failing although a new client reaches the store: then, and only
 * then, liveness asks for a restart. A store that is down makes the process unready, not dead.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/processes';
import { StoreClientHealth } from '../../store/client-health';
import { startFlakyNetwork } from '../chaos/flaky-network';
import { TEST_API_KEY, testConfig } from '../harness/stack';

describe('the store client health', () => {
  const config = testConfig();
  const clients: MongoClient[] = [];
  /** A client of ours, connected (lazily) to `uri`. */
  const clientOf = (uri: string) => {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500 });
    clients.push(client);
    return client.db(config.mongo.db);
  };
  afterAll(async () => {
    for (const client of clients) await client.close();
  });

  it('is fine when its client reaches the store', async () => {
    const health = new StoreClientHealth(clientOf(config.mongo.uri), config.mongo, 0);
    expect(await health.problem()).toBeUndefined();
    expect(await health.isStuck()).toBe(false);
  });

  it('is stuck when its client fails while a new client reaches the store', async () => {
    // Our client talks to nothing, as a client whose pool never recovered would.
    const deadEnd = `mongodb://127.0.0.1:${await freePort()}`;
    const health = new StoreClientHealth(clientOf(deadEnd), config.mongo, 0);
    expect(await health.problem()).toMatch(/^unreachable/);
    expect(await health.isStuck()).toBe(true);
  });

  it('is not stuck while it has failed for less than its grace', async () => {
    const deadEnd = `mongodb://127.0.0.1:${await freePort()}`;
    const health = new StoreClientHealth(clientOf(deadEnd), config.mongo, 60_000);
    expect(await health.isStuck()).toBe(false);
  });

  it('is only unready, not stuck, when the store itself is down', async () => {
    const deadEnd = `mongodb://127.0.0.1:${await freePort()}`;
    const health = new StoreClientHealth(clientOf(deadEnd), { ...config.mongo, uri: deadEnd }, 0);
    expect(await health.problem()).toMatch(/^unreachable/);
    expect(await health.isStuck()).toBe(false);
  });
});

describe('a process whose store client is stuck', () => {
  // Stopped here rather than at the test's end, which a timeout never reaches.
  const cleanups: Array<() => unknown> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  /** The product's process `main` (api/main.ts or worker/main.ts), its store reached through a proxy the test controls. */
  async function startProcess(main: string, env: Record<string, string> = {}) {
    const config = testConfig();
    const store = new URL(config.mongo.uri);
    const network = await startFlakyNetwork({ host: store.hostname, port: Number(store.port) }, Math.random);
    cleanups.push(() => network.close());
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: {
        ...process.env,
        API_KEYS: TEST_API_KEY,
        TEMPORAL_ADDRESS: config.temporal.address,
        TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
        MONGODB_URI: `mongodb://127.0.0.1:${network.port}`,
        MONGODB_DB: config.mongo.db,
        ...(config.mongo.postgresUrl ? { FERRETDB_POSTGRESQL_URL: config.mongo.postgresUrl } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.unshift(() => child.kill('SIGKILL'));
    const logs = { output: '' };
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (logs.output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    /**
     * From now on every connection the process's client has or opens (its handshake names the product) is reset; a
     * client without that name gets through, as one would to a store that is up.
     */
    const cutOffItsClient = () => {
      network.refuse((chunk) => chunk.includes('redemption-orchestrator'), 10 * 60_000);
      network.dropAll();
    };
    return { child, logs, exited, cutOffItsClient };
  }

  const STUCK_LINE = 'the store client has not recovered although the store answers a new client';

  // A chaos run found one: after the store's long outage, the API's client never reached the store again, and the API
  // answered every request 503 for minutes while a new client reached the store at once.
  it('exits with code 1, for its supervisor to start it again, while a new client reaches the store', async () => {
    const port = await freePort();
    const { child: api, logs, exited, cutOffItsClient } = await startProcess('api/main.ts', { PORT: String(port) });
    const readiness = async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
      } catch {
        return undefined;
      }
    };
    const deadline = Date.now() + 60_000;
    while ((await readiness()) !== 200) {
      if (api.exitCode !== null || Date.now() > deadline) throw new Error(`the API did not get ready:\n${logs.output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    cutOffItsClient();
    expect(await readiness()).toBe(503);
    expect(await exited).toBe(1);
    expect(logs.output).toContain(STUCK_LINE);
  }, 150_000);

  it('stops a worker too, with code 1, while a new client reaches the store', async () => {
    const {
      child: worker,
      logs,
      exited,
      cutOffItsClient,
    } = await startProcess('worker/main.ts', {
      WORKER_METRICS_ADDRESS: 'off',
      RECONCILE_SCHEDULE: 'off',
      POINTS_EXPIRY_INTERVAL_SECONDS: 'off',
    });
    const deadline = Date.now() + 60_000;
    while (!logs.output.includes('worker running')) {
      if (worker.exitCode !== null || Date.now() > deadline)
        throw new Error(`the worker did not start:\n${logs.output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    cutOffItsClient();
    expect(await exited).toBe(1);
    expect(logs.output).toContain(STUCK_LINE);
  }, 150_000);
});
