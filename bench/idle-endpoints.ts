/**
 * What idle webhook endpoints cost: the store's operations per second and the webhook worker's activity slots in use,
 * with none registered (the baseline) and then with 1,000 whose lanes have each delivered an event and gone idle. A
 * lane that polled the store while idle would show here as about two reads a second each, and as a slot held each.
 */
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { nudgeWebhookLane } from '../application/webhook-lanes';
import type { Config } from '../config/env';
import { withPostgres } from '../store/ferretdb/lookup-indexes';
import { secretBoxOf } from '../store/secret-box';
import { WebhookEndpoints, WebhookOutbox } from '../store/webhooks';
import { round } from './latency';

export interface IdleEndpointsSettings {
  endpoints: number;
  /** How long each window counts operations and samples slots. */
  windowMs: number;
}

export interface IdleWindow {
  idle_endpoints: number;
  store_operations_per_second: number;
  /** The webhook worker's activity slots in use, sampled each second: the most seen. */
  webhook_activity_slots_used_max: number;
  lanes_with_an_activity_running: number;
}

export interface IdleEndpointsFigures {
  /** What is counted as a store operation. */
  counted: string;
  baseline: IdleWindow;
  idle: IdleWindow;
  store_operations_per_second_added: number;
  /** Seconds from the event written for every endpoint until every lane had delivered it and gone idle. */
  seconds_until_all_idle: number;
}

/**
 * Operations the store has served so far. FerretDB runs each in PostgreSQL transactions, so its PostgreSQL's
 * committed and rolled-back transactions are counted; MongoDB counts its own operations.
 */
function storeOperations(db: Db, postgresUrl: string | undefined): { counted: string; read: () => Promise<number> } {
  if (postgresUrl) {
    return {
      counted: "transactions of the store's PostgreSQL (FerretDB runs each operation in one or more)",
      read: () =>
        withPostgres(postgresUrl, async (client) => {
          // Statistics reach the view at most once a second; a snapshot read now sees what was flushed.
          await client.query('SELECT pg_stat_clear_snapshot()');
          const { rows } = await client.query<{ total: string }>(
            'SELECT sum(xact_commit + xact_rollback) AS total FROM pg_stat_database',
          );
          return Number(rows[0]!.total);
        }),
    };
  }
  return {
    counted: "MongoDB's opcounters (query, insert, update, delete, getmore, command)",
    read: async () => {
      const { opcounters } = await db.admin().command({ serverStatus: 1 });
      return Object.values(opcounters as Record<string, number>).reduce((sum, count) => sum + Number(count), 0);
    },
  };
}

/** The webhook worker's activity slots in use, from the worker's Prometheus metrics (the SDK's own series). */
async function slotsUsed(metricsUrl: string, taskQueue: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text
    .split('\n')
    .find(
      (each) =>
        each.startsWith('temporal_worker_task_slots_used{') &&
        each.includes('worker_type="ActivityWorker"') &&
        each.includes(`task_queue="${taskQueue}"`),
    );
  if (!line) throw new Error(`the worker's metrics at ${metricsUrl} have no activity slots series for ${taskQueue}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Lanes whose workflow has an activity scheduled or running, among these endpoints'. */
async function lanesRunningAnActivity(temporal: Client, endpointIds: string[]): Promise<number> {
  let running = 0;
  for (let index = 0; index < endpointIds.length; index += 50) {
    const described = await Promise.all(
      endpointIds.slice(index, index + 50).map(async (id) => {
        const { raw } = await temporal.workflow.getHandle(`webhook-lane/${id}`).describe();
        return (raw.pendingActivities?.length ?? 0) > 0;
      }),
    );
    running += described.filter(Boolean).length;
  }
  return running;
}

async function measureWindow(
  settings: IdleEndpointsSettings,
  count: () => Promise<number>,
  slots: () => Promise<number>,
): Promise<Pick<IdleWindow, 'store_operations_per_second' | 'webhook_activity_slots_used_max'>> {
  const before = await count();
  const begin = performance.now();
  let slotsMax = 0;
  while (performance.now() - begin < settings.windowMs) {
    slotsMax = Math.max(slotsMax, await slots());
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const operations = (await count()) - before;
  return {
    store_operations_per_second: round(operations / ((performance.now() - begin) / 1000), 1),
    webhook_activity_slots_used_max: slotsMax,
  };
}

const NUDGES_IN_FLIGHT = 20;

async function inBatches(ids: string[], size: number, work: (id: string) => Promise<void>): Promise<void> {
  for (let index = 0; index < ids.length; index += size) await Promise.all(ids.slice(index, index + size).map(work));
}

/** One `redemption.pending` event owed to each endpoint, as a redemption's creation writes it. */
async function owe(db: Db, endpointIds: string[]): Promise<void> {
  const now = new Date();
  await new WebhookOutbox(db).owe(
    endpointIds.map((endpointId, index) => {
      const eventId = `evt_bench_idle_${index}`;
      return {
        _id: `${endpointId}/${eventId}`,
        endpoint_id: endpointId,
        event_id: eventId,
        event_type: 'redemption.pending' as const,
        redemption_id: `rdm_bench_idle_${index}`,
        version: 0,
        body: JSON.stringify({ id: eventId, type: 'redemption.pending', created_at: now.toISOString(), data: {} }),
        created_at: now,
        attempts: 0,
        due_at: now,
      };
    }),
  );
}

/** A receiver that answers 204 at once. */
async function startReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Registers `settings.endpoints` endpoints through the store, each of its own client (as many merchants' would be),
 * and owes each one event, written to the outbox and nudged as a status change does, NUDGES_IN_FLIGHT at a time; each
 * endpoint's lane delivers it and goes idle. Measures a window before and one once every lane is idle, then deletes the
 * endpoints, their lanes ending.
 */
export async function measureIdleEndpoints(
  settings: IdleEndpointsSettings,
  deps: {
    db: Db;
    config: Config;
    temporal: Client;
    workerMetricsUrl: string;
  },
): Promise<IdleEndpointsFigures> {
  const { db, config, temporal } = deps;
  const operations = storeOperations(db, config.mongo.postgresUrl);
  const slots = () => slotsUsed(deps.workerMetricsUrl, config.webhooks.taskQueue);
  const baseline = await measureWindow(settings, operations.read, slots);

  const receiver = await startReceiver();
  const endpoints = new WebhookEndpoints(db, secretBoxOf(config));
  const ids: string[] = [];
  try {
    for (let index = 0; index < settings.endpoints; index++) {
      const endpoint = await endpoints.create(
        { url: receiver.url, events: ['redemption.pending'], redemptions: 'own' },
        `bench-idle-${index}`,
      );
      ids.push(endpoint._id);
    }
    const written = performance.now();
    await owe(db, ids);
    await inBatches(ids, NUDGES_IN_FLIGHT, (id) => nudgeWebhookLane(temporal, config, id));
    const outbox = db.collection('webhook_outbox');
    while ((await outbox.countDocuments({})) > 0 || (await slots()) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const untilIdle = round((performance.now() - written) / 1000, 1);
    const idle = await measureWindow(settings, operations.read, slots);
    const running = await lanesRunningAnActivity(temporal, ids);
    return {
      counted: operations.counted,
      baseline: { idle_endpoints: 0, ...baseline, lanes_with_an_activity_running: 0 },
      idle: { idle_endpoints: settings.endpoints, ...idle, lanes_with_an_activity_running: running },
      store_operations_per_second_added: round(
        idle.store_operations_per_second - baseline.store_operations_per_second,
        1,
      ),
      seconds_until_all_idle: untilIdle,
    };
  } finally {
    await inBatches(ids, NUDGES_IN_FLIGHT, async (id) => {
      await endpoints.delete(id);
      await nudgeWebhookLane(temporal, config, id);
    });
    await receiver.close();
  }
}
