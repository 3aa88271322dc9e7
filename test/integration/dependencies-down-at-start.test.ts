/**
 * An API and a worker started while the store and Temporal are down wait for them, saying so in their logs, and come
 * up by themselves once each is back: before, each exited at once and came back only when its supervisor started it
 * again, after a back-off that grows with every failed start.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/processes';
import { sleep, untilAnswered } from '../chaos/journeys';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { productProcess } from '../harness/product-process';
import { startSupervisedStore, type SupervisedStore } from '../harness/supervised-store';

const API_KEY = 'start-key';
const DB_NAME = 'down_at_start';

/** Temporal, reachable at a port of its own only once the proxy listens: until then, Temporal is down. */
function temporalProxy(port: number, target: string): Promise<Server> {
  const [host, targetPort] = target.split(':');
  const server = createServer((socket) => {
    const upstream = createConnection({ host, port: Number(targetPort) });
    socket.pipe(upstream).pipe(socket);
    for (const end of [socket, upstream]) end.on('error', () => (end === socket ? upstream : socket).destroy());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('an API and a worker started while the store and Temporal are down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'down-at-start-'));
  let stack: SupervisedStore | undefined;
  let proxy: Server | undefined;

  beforeAll(async () => {
    stack = await startSupervisedStore(dir);
  }, 180_000);

  afterAll(async () => {
    proxy?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('wait for each, saying so, and are up once both are back, without exiting meanwhile', async () => {
    const { postgres, store, uri: storeUri, postgresUrl } = stack!;
    const apiPort = await freePort();
    const temporalPort = await freePort();
    const env = {
      API_KEYS: `till:${API_KEY}`,
      PORT: String(apiPort),
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_TASK_QUEUE: `down-at-start-${apiPort}`,
      MONGODB_URI: storeUri,
      MONGODB_DB: DB_NAME,
      FERRETDB_POSTGRESQL_URL: postgresUrl,
      WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
      RECONCILE_SCHEDULE: 'off',
      POINTS_EXPIRY_INTERVAL_SECONDS: 'off',
    };
    const logOf = (name: string) => readFileSync(join(dir, `${name}.log`), 'utf8');
    const processes = (['worker', 'api'] as const).map((role) => productProcess(role, { dir, env }));
    /** Waits until each process's log has said `line` `times` times. */
    const untilLogged = async (line: string, times: number) => {
      const deadline = Date.now() + 60_000;
      for (const name of ['worker', 'api']) {
        while (logOf(name).split(line).length - 1 < times) {
          if (Date.now() > deadline) throw new Error(`${name} did not log "${line}" ${times} times:\n${logOf(name)}`);
          await sleep(200);
        }
      }
    };

    let started: Promise<void[]> | undefined;
    try {
      await postgres.kill(async () => {
        // Nothing listens at the store's port.
        await store.kill(async () => {
          started = Promise.all(processes.map((process) => process.start()));
          await untilLogged('Waiting for the store', 2);
        });
        // The store is back without its PostgreSQL: it answers, and fails every command.
        await untilLogged('Waiting for the store', 4);
      });
      await untilLogged('Waiting for Temporal', 2);
      expect(processes.map((process) => process.crashes)).toEqual([0, 0]);

      proxy = await temporalProxy(temporalPort, inject('temporalAddress'));
      await started;
      expect((await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status).toBe(200);

      const client = await MongoClient.connect(storeUri);
      try {
        const db = client.db(DB_NAME);
        const option = await createOption(db, { cost_points: 10 });
        const member = await createMemberWithPoints(db, 100);
        const answer = await untilAnswered(`http://127.0.0.1:${apiPort}/v1/redemptions`, {
          method: 'POST',
          apiKey: API_KEY,
          key: 'down-at-start-1',
          body: { customer_email: member.email, redemption_option_id: option.id },
        });
        expect(answer.status).toBe(201);
        expect(answer.body.status).toBe('completed');
      } finally {
        await client.close();
      }
      expect(processes.map((process) => process.crashes)).toEqual([0, 0]);
    } finally {
      for (const process of processes) await process.stop();
    }
  }, 300_000);
});
