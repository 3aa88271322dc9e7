/**
 * A chaos run: the API, two workers, Temporal and the store as separate processes; clients redeem (immediate,
 * delayed then ordered, cancelled, left to expire, ordered then the order cancelled), each retrying with its
 * Idempotency-Key, against a flaky partner; meanwhile a worker, the store, Temporal and the API are each killed with
 * SIGKILL and started again, and the network between the processes and the store drops a connection twice a second
 * or so. A merchant's webhook endpoint, flaky too, hears every status change. Then it checks what must hold whatever
 * happened, and reports every violation.
 */
import { Client, Connection } from '@temporalio/client';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { startPostgres, type RunningPostgres } from '../../scripts/postgres';
import { freePort } from '../../scripts/processes';
import { ferretDbArgs, mongodArgs, temporalDevServerArgs } from '../../scripts/servers';
import { resolveGoTool, resolveMongoServer, TEMPORAL_CLI } from '../../scripts/tools';
import { redemptionIdFor, workflowIdOf } from '../../application/redemption-workflows';
import { ensureIndexes } from '../../store/indexes';
import { startFlakyNetwork } from './flaky-network';
import type { Member } from '../../store/members';
import { createMemberWithPoints, createOption, foldLedger } from '../harness/fixtures';
import { startStubPartner, type RecordedCall, type StubPartner } from '../harness/stub-partner';
import { ChaosProcess } from './processes';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const CLIENT = 'chaos-till';
const API_KEY = 'chaos-api-key';
const DB_NAME = 'chaos';
const FINAL = new Set(['rejected', 'completed', 'compensated', 'expired', 'cancelled', 'refunded']);

export interface ChaosSettings {
  redemptions: number;
  concurrency: number;
  seed: number;
  /** A prebuilt workflow bundle, so that a restarted worker is up in seconds. */
  workflowBundlePath: string;
  log?: (line: string) => void;
}

type Kind = 'immediate' | 'delayed-order' | 'delayed-cancel' | 'delayed-expire' | 'order-cancel';
const KINDS: Kind[] = ['immediate', 'delayed-order', 'delayed-cancel', 'delayed-expire', 'order-cancel'];

interface Journey {
  kind: Kind;
  key: string;
  redemptionId?: string;
  /** What the answers said the redemption would end as. */
  expected?: string;
  answers: string[];
  /** Answers that a later answer or the end state contradicted. */
  contradictions: string[];
}

export interface ChaosReport {
  seed: number;
  redemptions: number;
  by_kind: Record<string, number>;
  final_statuses: Record<string, number>;
  kills: Record<string, number>;
  crash_restarts: Record<string, number>;
  partner_calls: number;
  partner_fulfilled: number;
  /** Requests the merchant's webhook endpoint received, retries and repeats included. */
  webhook_requests: number;
  /** Connections between the product's processes and the store that the network dropped. */
  store_connection_drops: number;
  seconds: number;
  violations: string[];
}

/** While the clients travel, the network drops one store connection this often on average. */
const STORE_CONNECTION_DROP_GAP_MS = 500;

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  body: any;
}

/**
 * Sends a request until it gets an answer that is not an outage (a network error, a 5xx other than the partner's
 * refusal, or a 202 still waiting), as a till would, within `deadlineMs`.
 */
async function untilAnswered(
  url: string,
  init: { method: string; body?: unknown; key?: string },
  deadlineMs = 180_000,
): Promise<Answer> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, {
        method: init.method,
        headers: {
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/json',
          ...(init.key ? { 'idempotency-key': init.key } : {}),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      const body = text ? JSON.parse(text) : {};
      const partnerRefused = res.status === 502 && body?.error?.code === 'partner_redeem_failed';
      if (res.status !== 202 && (res.status < 500 || partnerRefused)) return { status: res.status, body };
    } catch {
      // The API is down or restarting: try again.
    }
    if (Date.now() > deadline) throw new Error(`${init.method} ${url} had no answer within ${deadlineMs / 1000} s`);
    await sleep(Math.min(2_000, 200 * attempt));
  }
}

/**
 * What the merchant's endpoint got wrong: for each redemption, the events it received (de-duplicated on their id, as a
 * receiver does) must be its status changes as its audit trail lists them, in that order.
 */
function webhookProblems(calls: RecordedCall[], trails: Map<string, Array<{ type: string; status?: string }>>) {
  const seen = new Set<string>();
  const received = new Map<string, string[]>();
  for (const call of calls) {
    if (call.body?.data?.id === undefined || seen.has(call.headers['webhook-id'] as string)) continue;
    seen.add(call.headers['webhook-id'] as string);
    received.set(call.body.data.id, [...(received.get(call.body.data.id) ?? []), call.body.type]);
  }
  const problems: string[] = [];
  for (const [id, trail] of trails) {
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

    const temporal = new ChaosProcess({
      name: 'temporal',
      command: temporalCli,
      args: temporalDevServerArgs({ port: ports.temporal, dbFilename: join(dir, 'temporal.db'), namespace: 'default' }),
      logFile: join(dir, 'temporal.log'),
      ready: { port: ports.temporal },
    });
    await temporal.start();
    cleanups.push(() => temporal.stop());

    let postgres: RunningPostgres | undefined;
    const storeAddress = `127.0.0.1:${ports.store}`;
    if (mongoBinary.kind === 'ferretdb') {
      postgres = await startPostgres({ port: ports.postgres, dataDir: join(dir, 'postgres'), ephemeral: true });
      cleanups.push(() => postgres!.stop());
    } else {
      mkdirSync(join(dir, 'mongod'), { recursive: true });
    }
    const store = new ChaosProcess({
      name: 'store',
      command: mongoBinary.path,
      args:
        mongoBinary.kind === 'ferretdb'
          ? ferretDbArgs(postgres!.url, storeAddress, dir)
          : mongodArgs(ports.store, join(dir, 'mongod')),
      logFile: join(dir, 'store.log'),
      ready: { port: ports.store },
    });
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
      LOG_LEVEL: 'info',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_RETRY_INITIAL_MS: '200',
      WEBHOOK_RETRY_MAX_MS: '2000',
      WEBHOOK_POLL_MS: '500',
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    };
    // The checks read the store directly.
    const mongo = new MongoClient(`mongodb://${storeAddress}`, { ignoreUndefined: true });
    await mongo.connect();
    cleanups.push(() => mongo.close());
    const db = mongo.db(DB_NAME);
    await ensureIndexes(db, postgres?.url);

    const node = (name: string, entry: string, ready: { port: number } | { logLine: string }) =>
      new ChaosProcess({
        name,
        command: process.execPath,
        args: ['--import', 'tsx', entry],
        cwd: projectRoot,
        env,
        logFile: join(dir, `${name}.log`),
        ready,
      });
    const workers = [1, 2].map((n) => node(`worker-${n}`, 'worker/main.ts', { logLine: 'worker running' }));
    for (const worker of workers) {
      await worker.start();
      cleanups.push(() => worker.stop());
    }
    const api = node('api', 'api/main.ts', { port: ports.api });
    await api.start();
    cleanups.push(() => api.stop());
    const apiUrl = `http://127.0.0.1:${ports.api}`;

    const endpoint = await untilAnswered(`${apiUrl}/v1/webhook-endpoints`, {
      method: 'POST',
      body: { url: merchant.redeemUrl, events: ['*'] },
    });
    if (endpoint.status !== 201) throw new Error(`the webhook endpoint was not registered: ${endpoint.status}`);
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

    async function travel(journey: Journey, index: number): Promise<void> {
      journey.redemptionId = redemptionIdFor(CLIENT, journey.key);
      const member = members[index % members.length]!;
      const delayed = journey.kind.startsWith('delayed');
      const option =
        journey.kind === 'delayed-expire'
          ? options.shortLived
          : journey.kind === 'order-cancel'
            ? options.plain
            : options.partner;
      const created = await untilAnswered(`${apiUrl}/v1/redemptions`, {
        method: 'POST',
        key: journey.key,
        body: { customer_email: member.email, redemption_option_id: option.id, delay_points_deduction: delayed },
      });
      const said = (answer: Answer) => `${answer.status} ${answer.body?.status ?? answer.body?.error?.code}`;
      journey.answers.push(`create: ${said(created)}`);
      if (created.status === 502) {
        journey.expected = 'compensated';
        return;
      }
      if (created.status !== 201) {
        journey.contradictions.push(`create answered ${said(created)}`);
        return;
      }
      const coupon = created.body.coupon_code as string;
      const id = created.body.id as string;
      journey.expected = created.body.status;
      if (journey.kind === 'delayed-order') {
        const order = await untilAnswered(`${apiUrl}/v1/orders`, {
          method: 'POST',
          body: { order_id: `order-${journey.key}`, coupon_code: coupon },
        });
        journey.answers.push(`order: ${said(order)}`);
        if (order.status !== 200)
          journey.contradictions.push(`awaiting_order, then the order was refused: ${said(order)}`);
        else journey.expected = order.body.redemptions[0].status;
      } else if (journey.kind === 'delayed-cancel') {
        const cancel = await untilAnswered(`${apiUrl}/v1/redemptions/${id}/cancel`, { method: 'POST' });
        journey.answers.push(`cancel: ${said(cancel)}`);
        if (cancel.status !== 200)
          journey.contradictions.push(`awaiting_order, then the cancel was refused: ${said(cancel)}`);
        else journey.expected = 'cancelled';
      } else if (journey.kind === 'delayed-expire') {
        journey.expected = 'expired';
      } else if (journey.kind === 'order-cancel') {
        const orderId = `order-${journey.key}`;
        const order = await untilAnswered(`${apiUrl}/v1/orders`, {
          method: 'POST',
          body: { order_id: orderId, coupon_code: coupon },
        });
        journey.answers.push(`order: ${said(order)}`);
        if (order.status !== 200) {
          journey.contradictions.push(`completed, then its order was refused: ${said(order)}`);
          return;
        }
        const cancel = await untilAnswered(`${apiUrl}/v1/orders/${orderId}/cancel`, { method: 'POST' });
        journey.answers.push(`order cancel: ${said(cancel)}`);
        if (cancel.status !== 200)
          journey.contradictions.push(`completed, then the order cancel was refused: ${said(cancel)}`);
        else journey.expected = cancel.body.redemptions[0].status;
      }
    }

    // Kills at fixed points of the run: a worker, the store, Temporal, then the API.
    const killPlan: Array<[number, string, ChaosProcess, number]> = [
      [0.15, 'worker-1', workers[0]!, 1_000],
      [0.35, 'store', store, 2_000],
      [0.55, 'temporal', temporal, 2_000],
      [0.75, 'api', api, 1_000],
    ];
    const kills: Promise<void>[] = [];
    let started = 0;
    const lane = async () => {
      while (started < journeys.length) {
        const index = started++;
        while (killPlan.length > 0 && index >= killPlan[0]![0] * journeys.length) {
          const [, name, victim, downMs] = killPlan.shift()!;
          log(`SIGKILL ${name} at redemption ${index}`);
          kills.push(victim.kill(downMs));
        }
        try {
          await travel(journeys[index]!, index);
        } catch (error) {
          journeys[index]!.contradictions.push(`no answer: ${(error as Error).message}`);
        }
      }
    };
    storeNetwork.startDropping(STORE_CONNECTION_DROP_GAP_MS);
    await Promise.all(Array.from({ length: settings.concurrency }, lane));
    storeNetwork.stopDropping();
    await Promise.all(kills);
    log(`all ${journeys.length} journeys answered after ${Math.round((Date.now() - begin) / 1000)} s; settling`);

    const violations: string[] = [];
    const noteViolations = () => {
      if (violations.length > 0) keep = true;
    };
    for (const journey of journeys) {
      for (const contradiction of journey.contradictions) {
        violations.push(`${journey.key} (${journey.kind}): ${contradiction}; answers: ${journey.answers.join(', ')}`);
      }
    }
    // The clients retry any 5xx, but a store, Temporal or the network failing is 503: a 500 is a bug of ours.
    for (const line of readFileSync(join(dir, 'api.log'), 'utf8').split('\n')) {
      if (line.includes('"statusCode":500')) violations.push(`the API answered 500: ${line.slice(0, 600)}`);
    }

    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    /** What a stuck redemption's workflow is doing: its pending activities and its last failed workflow task. */
    const whyStuck = async (id: string) => {
      try {
        const handle = client.workflow.getHandle(workflowIdOf(id));
        const { raw } = await handle.describe();
        const activities = (raw.pendingActivities ?? []).map(
          (activity) =>
            `${activity.activityType?.name} attempt ${activity.attempt} (${activity.lastFailure?.message ?? 'no failure'})`,
        );
        const history = await handle.fetchHistory();
        const taskFailures = (history.events ?? [])
          .filter((event) => event.workflowTaskFailedEventAttributes)
          .map((event) => event.workflowTaskFailedEventAttributes?.failure?.message);
        return `pending: ${activities.join('; ') || 'none'}; failed workflow tasks: ${taskFailures.slice(-2).join(' | ') || 'none'}`;
      } catch (error) {
        return `(not described: ${(error as Error).message})`;
      }
    };

    // Nothing lost or stuck: every redemption answered reaches the end its answers promised.
    const ids = journeys.flatMap((journey) => (journey.redemptionId ? [journey.redemptionId] : []));
    const settleDeadline = Date.now() + 120_000;
    let stored = new Map<string, any>();
    for (;;) {
      const documents = await db
        .collection('redemptions')
        .find({}, { projection: { events: 0, event_keys: 0 } })
        .toArray();
      stored = new Map(documents.map((document) => [document._id as unknown as string, document]));
      const unsettled = ids.filter((id) => !FINAL.has(stored.get(id)?.status));
      if (unsettled.length === 0 || Date.now() > settleDeadline) {
        for (const id of unsettled) {
          violations.push(`${id} is stuck at ${stored.get(id)?.status ?? 'missing'}: ${await whyStuck(id)}`);
        }
        break;
      }
      await sleep(1_000);
    }
    for (const journey of journeys) {
      const status = journey.redemptionId ? stored.get(journey.redemptionId)?.status : undefined;
      if (journey.expected && status && journey.expected !== status && FINAL.has(journey.expected)) {
        violations.push(`${journey.key}: answered ${journey.expected}, ended ${status}`);
      }
    }

    // The ledger: at most one DEBIT or CAPTURE and one REFUND per redemption, none after the partner fulfilled.
    const entries = await db
      .collection('ledger')
      .find({ redemption_id: { $exists: true } })
      .toArray();
    const byRedemption = new Map<string, string[]>();
    for (const entry of entries) {
      const list = byRedemption.get(entry.redemption_id) ?? [];
      list.push(entry.type);
      byRedemption.set(entry.redemption_id, list);
    }
    for (const [id, types] of byRedemption) {
      const count = (type: string) => types.filter((candidate) => candidate === type).length;
      if (count('DEBIT') + count('CAPTURE') > 1) violations.push(`${id}: ${types.join(', ')} (paid twice)`);
      if (count('REFUND') > 1) violations.push(`${id}: ${types.join(', ')} (refunded twice)`);
      const document = stored.get(id);
      if (count('REFUND') > 0 && fulfilled.has(id) && document?.status !== 'refunded') {
        violations.push(`${id}: refunded after the partner fulfilled it (${document?.status})`);
      }
    }
    for (const id of fulfilled) {
      if (stored.get(id)?.status === 'compensated')
        violations.push(`${id}: compensated after the partner fulfilled it`);
    }

    // Every balance is the fold of its ledger, with nothing left held.
    for (const member of members) {
      const fold = await foldLedger(db, member._id);
      const answer = await untilAnswered(`${apiUrl}/v1/members/${member._id}`, { method: 'GET' });
      if (answer.body.points_balance !== fold.points_balance || answer.body.points_held !== fold.points_held) {
        violations.push(
          `member ${member._id}: balance ${answer.body.points_balance}/${answer.body.points_held}, fold ${fold.points_balance}/${fold.points_held}`,
        );
      }
      if (fold.points_held !== 0) violations.push(`member ${member._id}: ${fold.points_held} points still held`);
    }

    // The merchant heard every status change of every redemption, each redemption's in order, and nothing is owed.
    const webhookDeadline = Date.now() + 120_000;
    for (;;) {
      const trails = await db
        .collection<{ _id: string; events: Array<{ type: string; status?: string }> }>('redemptions')
        .find({}, { projection: { events: 1 } })
        .toArray();
      const problems = webhookProblems(merchant.calls, new Map(trails.map((trail) => [trail._id, trail.events])));
      const owed = await db.collection('webhook_outbox').countDocuments({});
      if (owed > 0) problems.push(`${owed} webhook deliveries still owed`);
      if (problems.length === 0) break;
      if (Date.now() > webhookDeadline) {
        violations.push(...problems.slice(0, 20));
        break;
      }
      await sleep(1_000);
    }

    // No workflow failed, and none is left running but the webhook endpoint's lane.
    const failed = await client.workflow.count('ExecutionStatus = "Failed"');
    if (failed.count > 0) violations.push(`${failed.count} workflows failed`);
    const runningDeadline = Date.now() + 60_000;
    for (;;) {
      const running = await client.workflow.count(
        'ExecutionStatus = "Running" AND WorkflowType != "webhookLaneWorkflow"',
      );
      if (running.count === 0) break;
      if (Date.now() > runningDeadline) {
        violations.push(`${running.count} workflows are still running`);
        break;
      }
      await sleep(1_000);
    }

    noteViolations();
    const tally = (values: string[]) =>
      values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [value]: (counts[value] ?? 0) + 1 }), {});
    const processes = { 'worker-1': workers[0]!, 'worker-2': workers[1]!, store, temporal, api };
    return {
      seed: settings.seed,
      redemptions: journeys.length,
      by_kind: tally(journeys.map((journey) => journey.kind)),
      final_statuses: tally(ids.map((id) => stored.get(id)?.status ?? 'missing')),
      kills: Object.fromEntries(Object.entries(processes).map(([name, process]) => [name, process.kills])),
      crash_restarts: Object.fromEntries(Object.entries(processes).map(([name, process]) => [name, process.crashes])),
      partner_calls: partner.calls.length,
      partner_fulfilled: fulfilled.size,
      webhook_requests: merchant.calls.length,
      store_connection_drops: storeNetwork.drops,
      seconds: Math.round((Date.now() - begin) / 1000),
      violations,
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
