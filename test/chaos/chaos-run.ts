/**
 * A chaos run: the API, two workers, Temporal and the store as separate processes; clients redeem (immediate,
 * delayed then ordered, cancelled, left to expire, ordered then the order cancelled), each retrying with its
 * Idempotency-Key, against a flaky partner; meanwhile a worker, the store, Temporal and the API are each killed with
 * SIGKILL and started again, and the network between the processes and the store drops a connection twice a second
 * or so. A merchant's webhook endpoint that fails one delivery in five hears every status change, and its backlog must
 * drain while the load runs; another refuses every event of one redemption, and must still hear every other
 * redemption's. Then it checks what must hold whatever happened, and reports every violation.
 */
import { Client, Connection } from '@temporalio/client';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { preparePostgres } from '../../scripts/postgres';
import { freePort } from '../../scripts/processes';
import { ferretDbProcess, mongodArgs, temporalDevServerArgs } from '../../scripts/servers';
import { resolveGoTool, resolveMongoServer, TEMPORAL_CLI } from '../../scripts/tools';
import { SupervisedProcess } from '../../scripts/supervisor';
import { ensureIndexes } from '../../store/indexes';
import type { Member } from '../../store/members';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { productProcess } from '../harness/product-process';
import { startStubPartner, type RecordedCall, type StubPartner } from '../harness/stub-partner';
import { startFlakyNetwork } from './flaky-network';
import {
  checkAfterwards,
  Invariants,
  KINDS,
  mulberry32,
  sleep,
  travel,
  untilAnswered,
  type Journey,
  type Travellers,
} from './journeys';

const CLIENT = 'chaos-till';
const API_KEY = 'chaos-api-key';
const DB_NAME = 'chaos';

export interface ChaosSettings {
  redemptions: number;
  concurrency: number;
  seed: number;
  /** A prebuilt workflow bundle, so that a restarted worker is up in seconds. */
  workflowBundlePath: string;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  redemptions: number;
  /** The faults injected, in order. */
  faults: string[];
  by_kind: Record<string, number>;
  final_statuses: Record<string, number>;
  kills: Record<string, number>;
  crash_restarts: Record<string, number>;
  partner_calls: number;
  partner_fulfilled: number;
  /** Requests the merchant's flaky webhook endpoint received, retries and repeats included. */
  webhook_requests: number;
  /** Its backlog (events owed) sampled every second while the load ran: the largest, and the last. */
  flaky_webhook_backlog: { max: number; at_load_end: number; samples: number };
  /** Requests the endpoint that refuses one redemption's events received, and that redemption. */
  refusing_webhook_requests: number;
  refused_redemption: string | null;
  /** Connections between the product's processes and the store that the network dropped. */
  store_connection_drops: number;
  /** Refund writes the store refused (their connections reset) during its minute of refusing them. */
  refund_writes_refused: number;
  seconds: number;
  /** Each invariant, with how many times it was checked. */
  invariants: Record<string, number>;
  violations: string[];
}

/** A backlog of at most this many events counts as drained (a status change or two in flight). */
const DRAINED_BACKLOG = 10;
/** How soon after the load the flaky endpoint's backlog must be empty. */
const DRAIN_AFTER_LOAD_MS = 60_000;

/** While the clients travel, the network drops one store connection this often on average. */
const STORE_CONNECTION_DROP_GAP_MS = 500;
const REFUND_REFUSAL_MS = 60_000;
/** How often the load says how far it got. */
const PROGRESS_LOG_MS = 60_000;
/** A journey on its way for longer than this is listed, with its answers so far, when the load says how far it got. */
const SLOW_JOURNEY_MS = 60_000;
/** Longer than a store step's round (10 s) and than the partner's deadline set below. */
const LONG_OUTAGE_MS = 35_000;

/** An insert into the ledger of a REFUND entry, as the driver sends it (BSON: the command, then the entry's type). */
function isRefundWrite(chunk: Buffer): boolean {
  return (
    chunk.includes(Buffer.from('\x02insert\x00', 'latin1')) &&
    chunk.includes('ledger\x00') &&
    chunk.includes('REFUND\x00')
  );
}

/**
 * What the merchant's endpoint got wrong: for each redemption, the events it received (de-duplicated on their id, as a
 * receiver does) must be its status changes as its audit trail lists them, in that order.
 */
function webhookProblems(
  calls: RecordedCall[],
  trails: Map<string, Array<{ type: string; status?: string }>>,
  refused?: string,
) {
  const seen = new Set<string>();
  const received = new Map<string, string[]>();
  for (const call of calls) {
    if (call.body?.data?.id === undefined || seen.has(call.headers['webhook-id'] as string)) continue;
    seen.add(call.headers['webhook-id'] as string);
    received.set(call.body.data.id, [...(received.get(call.body.data.id) ?? []), call.body.type]);
  }
  const problems: string[] = [];
  for (const [id, trail] of trails) {
    if (id === refused) continue;
    const expected = [
      'redemption.pending',
      ...trail.filter((event) => event.type === 'status').map((event) => `redemption.${event.status}`),
    ];
    const got = received.get(id) ?? [];
    if (got.join() !== expected.join())
      problems.push(`${id}: webhooks ${got.join(', ')}; changes ${expected.join(', ')}`);
  }
  return problems;
}

export async function runChaos(settings: ChaosSettings): Promise<ChaosReport> {
  const log = settings.log ?? (() => undefined);
  const random = mulberry32(settings.seed);
  const begin = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
  const cleanups: Array<() => Promise<unknown>> = [];
  // The processes' logs are kept when something did not hold, to see why.
  let keep = Boolean(process.env.CHAOS_KEEP);
  try {
    const [temporalCli, mongoBinary] = [await resolveGoTool(TEMPORAL_CLI), await resolveMongoServer()];
    const ports = {
      temporal: await freePort(),
      store: await freePort(),
      postgres: await freePort(),
      api: await freePort(),
    };

    // The partner: flaky, and idempotent by Idempotency-Key like a real one (a fulfilled key answers 200 again).
    const fulfilled = new Set<string>();
    const partner: StubPartner = await startStubPartner();
    cleanups.push(() => partner.close());
    partner.setDefault((call: RecordedCall) => {
      const key = String(call.headers['idempotency-key']);
      if (fulfilled.has(key)) return { status: 200, body: { replayed: true } };
      const draw = random();
      if (draw < 0.3) return { status: 500, body: { message: 'try again' } };
      if (draw < 0.35) return { status: 400, body: { message: 'unknown reward' } };
      fulfilled.add(key);
      return { status: 200, body: {} };
    });

    // The merchant's webhook endpoint: one request in five fails, with its own draws so that the partner's stay the same.
    const webhookRandom = mulberry32(settings.seed + 1);
    const merchant: StubPartner = await startStubPartner();
    cleanups.push(() => merchant.close());
    merchant.setDefault(() => (webhookRandom() < 0.2 ? { status: 503 } : { status: 204 }));
    // Another endpoint: it answers 400 to every event of the first redemption it hears of, and 204 to the rest.
    const refusing: StubPartner = await startStubPartner();
    cleanups.push(() => refusing.close());
    let refused: string | undefined;
    refusing.setDefault((call) => {
      refused ??= call.body?.data?.id;
      return call.body?.data?.id === refused
        ? { status: 400, body: { message: 'unknown redemption' } }
        : { status: 204 };
    });

    const temporal = new SupervisedProcess({
      name: 'temporal',
      command: temporalCli,
      args: temporalDevServerArgs({ port: ports.temporal, dbFilename: join(dir, 'temporal.db'), namespace: 'default' }),
      logFile: join(dir, 'temporal.log'),
      ready: { port: ports.temporal },
    });
    await temporal.start();
    cleanups.push(() => temporal.stop());

    let postgres: { process: SupervisedProcess; url: string } | undefined;
    const storeAddress = `127.0.0.1:${ports.store}`;
    if (mongoBinary.kind === 'ferretdb') {
      const prepared = await preparePostgres({ port: ports.postgres, dataDir: join(dir, 'postgres'), ephemeral: true });
      postgres = { process: new SupervisedProcess(prepared.spec), url: prepared.url };
      await postgres.process.start();
      cleanups.push(() => postgres!.process.stop());
    } else {
      mkdirSync(join(dir, 'mongod'), { recursive: true });
    }
    const store = new SupervisedProcess(
      mongoBinary.kind === 'ferretdb'
        ? {
            ...ferretDbProcess(mongoBinary.path, {
              postgresUrl: postgres!.url,
              port: ports.store,
              stateDir: dir,
              logFile: join(dir, 'store.log'),
            }),
            name: 'store',
          }
        : {
            name: 'store',
            command: mongoBinary.path,
            args: mongodArgs(ports.store, join(dir, 'mongod')),
            logFile: join(dir, 'store.log'),
            ready: { port: ports.store },
          },
    );
    await store.start();
    cleanups.push(() => store.stop());
    // The product's processes reach the store through a network that drops a connection now and then.
    const storeNetwork = await startFlakyNetwork(
      { host: '127.0.0.1', port: ports.store },
      mulberry32(settings.seed + 2),
    );
    cleanups.push(() => storeNetwork.close());

    const env = {
      API_KEYS: `${CLIENT}:${API_KEY}`,
      PORT: String(ports.api),
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      TEMPORAL_TASK_QUEUE: 'chaos',
      MONGODB_URI: `mongodb://127.0.0.1:${storeNetwork.port}`,
      MONGODB_DB: DB_NAME,
      FERRETDB_POSTGRESQL_URL: postgres?.url ?? '',
      FLAVOURS_REDEEM_URL: partner.redeemUrl,
      FLAVOURS_OUTBOUND_SECRET: 'chaos-outbound-secret',
      PARTNER_CALL_TIMEOUT_MS: '2000',
      // A task in flight when Temporal is killed can be lost; its activity's schedule-to-close timeout recovers it, so
      // these bound how long that takes (an unknown outcome is then reconciled, and the stub always answers).
      PARTNER_REDEEM_DEADLINE_MS: '30000',
      PARTNER_RECONCILE_LIMIT_MS: '60000',
      REDEMPTION_SYNC_WAIT_MS: '5000',
      WORKFLOW_BUNDLE_PATH: settings.workflowBundlePath,
      // Two workers on one machine: their metrics would want the same port.
      WORKER_METRICS_ADDRESS: 'off',
      // Two workers racing on the same redemptions: with no room to keep a workflow, each of its tasks goes to either
      // worker, so that one's store steps and the other's partner calls work on a redemption at the same time.
      WORKER_MAX_CACHED_WORKFLOWS: '1',
      LOG_LEVEL: 'info',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_RETRY_INITIAL_MS: '200',
      WEBHOOK_RETRY_MAX_MS: '2000',
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    };
    // The checks read the store directly.
    const mongo = new MongoClient(`mongodb://${storeAddress}`, { ignoreUndefined: true });
    await mongo.connect();
    cleanups.push(() => mongo.close());
    const db = mongo.db(DB_NAME);
    await ensureIndexes(db, postgres?.url);

    const workers = [1, 2].map((n) => productProcess('worker', { name: `worker-${n}`, dir, env }));
    for (const worker of workers) {
      await worker.start();
      cleanups.push(() => worker.stop());
    }
    const api = productProcess('api', { dir, env });
    await api.start();
    cleanups.push(() => api.stop());
    const apiUrl = `http://127.0.0.1:${ports.api}`;

    const registered = async (url: string) => {
      const endpoint = await untilAnswered(`${apiUrl}/v1/webhook-endpoints`, {
        method: 'POST',
        apiKey: API_KEY,
        body: { url, events: ['*'] },
      });
      if (endpoint.status !== 201) throw new Error(`the webhook endpoint was not registered: ${endpoint.status}`);
      return String((endpoint.body as { id: string }).id);
    };
    const flakyEndpoint = await registered(merchant.redeemUrl);
    const refusingEndpoint = await registered(refusing.redeemUrl);
    const owedTo = (endpointId: string, filter: Record<string, unknown> = {}) =>
      db.collection('webhook_outbox').countDocuments({ endpoint_id: endpointId, ...filter });
    // Past the workers' read of the enabled endpoints (WEBHOOK_ENDPOINTS_CACHE_MS), so that it hears every change.
    await sleep(1_500);

    const options = {
      partner: await createOption(db, { name: 'Partner reward', partner: 'flavours', cost_points: 100 }),
      plain: await createOption(db, { name: 'Coupon', cost_points: 100 }),
      shortLived: await createOption(db, { name: 'Short-lived coupon', cost_points: 100, coupon_ttl_seconds: 10 }),
    };
    const journeys: Journey[] = Array.from({ length: settings.redemptions }, (_, index) => ({
      kind: KINDS[Math.floor(random() * KINDS.length)]!,
      key: `chaos-${settings.seed}-${index}`,
      answers: [],
      contradictions: [],
    }));
    const members: Member[] = [];
    for (let index = 0; index < Math.ceil(settings.redemptions / 4); index++) {
      members.push(await createMemberWithPoints(db, 10_000));
    }

    const travellers: Travellers = {
      client: CLIENT,
      apiKey: API_KEY,
      apiUrl: () => apiUrl,
      members,
      options,
    };

    // Faults at fixed points of the run, each a SIGKILL or two of some process.
    const faultPlan: Array<[number, string, () => Promise<unknown>]> = [
      [0.1, 'SIGKILL a worker', () => workers[0]!.kill(1_000)],
      [
        0.25,
        'SIGKILL the store twice within seconds',
        async () => {
          await store.kill(300);
          await sleep(1_500);
          await store.kill(300);
        },
      ],
      [
        0.2,
        'the store refuses every refund write for a minute',
        async () => storeNetwork.refuse(isRefundWrite, REFUND_REFUSAL_MS),
      ],
      [0.55, 'SIGKILL Temporal', () => temporal.kill(2_000)],
      [0.75, 'SIGKILL the API', () => api.kill(1_000)],
      [0.85, 'the store down for longer than every timeout of the saga', () => store.kill(LONG_OUTAGE_MS)],
    ];
    if (postgres) {
      const { process: postgresProcess } = postgres;
      faultPlan.push(
        [
          0.4,
          "SIGKILL the store's PostgreSQL while the store starts",
          async () => {
            const restarting = store.kill(0);
            await sleep(100);
            await postgresProcess.kill(2_000);
            await restarting;
          },
        ],
        [0.65, "SIGKILL the store's PostgreSQL under load", () => postgresProcess.kill(1_500)],
      );
      faultPlan.sort(([a], [b]) => a - b);
    }
    const faults: Promise<unknown>[] = [];
    const faultsRun: string[] = [];
    let started = 0;
    let answered = 0;
    /** The journeys on their way, with when each began. */
    const travelling = new Map<number, number>();
    const seconds = () => Math.round((Date.now() - begin) / 1000);
    // A run that outlasts its test's timeout is cut off without a report: say how far it got, and what still waits.
    const progress = setInterval(() => {
      const slow = [...travelling].filter(([, since]) => Date.now() - since > SLOW_JOURNEY_MS);
      const lines = slow.map(([index, since]) => {
        const journey = journeys[index]!;
        const answers = journey.answers.join('; ') || 'no answer yet';
        return `\n  #${index} ${journey.kind} ${journey.redemptionId}, ${Math.round((Date.now() - since) / 1000)} s: ${answers}`;
      });
      log(`${answered} of ${journeys.length} journeys answered after ${seconds()} s${lines.join('')}`);
    }, PROGRESS_LOG_MS);
    const lane = async () => {
      while (started < journeys.length) {
        const index = started++;
        while (faultPlan.length > 0 && index >= faultPlan[0]![0] * journeys.length) {
          const [, name, fault] = faultPlan.shift()!;
          log(`${name} at redemption ${index}`);
          faultsRun.push(name);
          faults.push(fault());
        }
        travelling.set(index, Date.now());
        try {
          await travel(journeys[index]!, index, travellers);
        } catch (error) {
          journeys[index]!.contradictions.push(`no answer: ${(error as Error).message}`);
        }
        travelling.delete(index);
        answered++;
      }
    };
    // The flaky endpoint's backlog, every second while the load runs (a sample the store is down for is skipped).
    const backlog: Array<{ at: number; owed: number }> = [];
    let loading = true;
    const sampling = (async () => {
      while (loading) {
        const owed = await owedTo(flakyEndpoint).catch(() => undefined);
        if (owed !== undefined) backlog.push({ at: Date.now(), owed });
        await sleep(1_000);
      }
    })();
    const loadBegan = Date.now();
    storeNetwork.startDropping(STORE_CONNECTION_DROP_GAP_MS);
    await Promise.all(Array.from({ length: settings.concurrency }, lane));
    clearInterval(progress);
    storeNetwork.stopDropping();
    const loadEnded = Date.now();
    loading = false;
    await sampling;
    await Promise.all(faults);
    log(`all ${journeys.length} journeys answered after ${seconds()} s; settling`);

    const invariants = new Invariants();
    // The clients retry any 5xx, but a store, Temporal or the network failing is 503: a 500 is a bug of ours.
    const answered500 = readFileSync(join(dir, 'api.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"statusCode":500'));
    invariants.check('the API never answers 500', answered500.length === 0, () => answered500[0]!.slice(0, 600));

    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    const { stored } = await checkAfterwards(invariants, { db, client, journeys, travellers, fulfilled });
    const ids = journeys.flatMap((journey) => (journey.redemptionId ? [journey.redemptionId] : []));

    // Delivery keeps pace with the events written: in the load's last third its backlog was drained at least once
    // (outages let it grow), and it is empty soon after the load.
    const lastThird = backlog.filter((sample) => sample.at >= loadBegan + ((loadEnded - loadBegan) * 2) / 3);
    const lowest = Math.min(...lastThird.map((sample) => sample.owed));
    invariants.check(
      "the flaky endpoint's backlog drains while the load runs",
      lastThird.length > 0 && lowest <= DRAINED_BACKLOG,
      () => `its backlog in the load's last third: ${lastThird.map((sample) => sample.owed).join(', ')}`,
    );
    const drainDeadline = Date.now() + DRAIN_AFTER_LOAD_MS;
    let owedAfterLoad = await owedTo(flakyEndpoint);
    while (owedAfterLoad > 0 && Date.now() < drainDeadline) {
      await sleep(1_000);
      owedAfterLoad = await owedTo(flakyEndpoint);
    }
    invariants.check(
      "the flaky endpoint's backlog is empty within a minute of the load",
      owedAfterLoad === 0,
      () => `${owedAfterLoad} events still owed ${Math.round((Date.now() - loadEnded) / 1000)} s after the load`,
    );

    // The merchant heard every status change of every redemption, each redemption's in order, and nothing is owed;
    // the refusing endpoint heard every other redemption's, and is owed only the refused one's, its first event tried
    // again and its later ones held back.
    const webhookDeadline = Date.now() + 120_000;
    for (;;) {
      const trails = await db
        .collection<{ _id: string; events: Array<{ type: string; status?: string }> }>('redemptions')
        .find({}, { projection: { events: 1 } })
        .toArray();
      const byRedemption = new Map(trails.map((trail) => [trail._id, trail.events]));
      const problems = webhookProblems(merchant.calls, byRedemption);
      const owed = await owedTo(flakyEndpoint);
      if (owed > 0) problems.push(`${owed} webhook deliveries still owed`);
      const othersProblems = webhookProblems(refusing.calls, byRedemption, refused);
      const owedOthers = await owedTo(refusingEndpoint, { redemption_id: { $ne: refused } });
      if (owedOthers > 0) othersProblems.push(`${owedOthers} other redemptions' deliveries still owed`);
      const refusedHeard = refusing.calls.filter((call) => call.body?.data?.id === refused);
      const refusedTypes = new Set(refusedHeard.map((call) => call.body.type));
      if (refused === undefined || refusedTypes.size !== 1 || !refusedTypes.has('redemption.pending'))
        othersProblems.push(`the refused redemption ${refused} was sent ${[...refusedTypes].join(', ')}`);
      if ((problems.length === 0 && othersProblems.length === 0) || Date.now() > webhookDeadline) {
        invariants.check('the merchant hears every status change, in order', problems.length === 0, () =>
          problems.slice(0, 20).join('\n'),
        );
        invariants.check(
          "an endpoint refusing one redemption's events hears every other redemption's, in order",
          othersProblems.length === 0,
          () => othersProblems.slice(0, 20).join('\n'),
        );
        break;
      }
      await sleep(1_000);
    }

    if (invariants.violations.length > 0) keep = true;
    const tally = (values: string[]) =>
      values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [value]: (counts[value] ?? 0) + 1 }), {});
    const processes = {
      'worker-1': workers[0]!,
      'worker-2': workers[1]!,
      store,
      ...(postgres ? { postgresql: postgres.process } : {}),
      temporal,
      api,
    };
    return {
      seed: settings.seed,
      redemptions: journeys.length,
      faults: faultsRun,
      by_kind: tally(journeys.map((journey) => journey.kind)),
      final_statuses: tally(ids.map((id) => stored.get(id)?.status ?? 'missing')),
      kills: Object.fromEntries(Object.entries(processes).map(([name, process]) => [name, process.kills])),
      crash_restarts: Object.fromEntries(Object.entries(processes).map(([name, process]) => [name, process.crashes])),
      partner_calls: partner.calls.length,
      partner_fulfilled: fulfilled.size,
      webhook_requests: merchant.calls.length,
      flaky_webhook_backlog: {
        max: Math.max(0, ...backlog.map((sample) => sample.owed)),
        at_load_end: backlog.at(-1)?.owed ?? 0,
        samples: backlog.length,
      },
      refusing_webhook_requests: refusing.calls.length,
      refused_redemption: refused ?? null,
      store_connection_drops: storeNetwork.drops,
      refund_writes_refused: storeNetwork.refused,
      seconds: Math.round((Date.now() - begin) / 1000),
      invariants: invariants.checked,
      violations: invariants.violations,
    };
  } catch (error) {
    keep = true;
    throw error;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept the processes' logs in ${dir}`);
  }
}
