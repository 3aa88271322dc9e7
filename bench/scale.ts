/**
 * Whether redemptions stay fast as the store fills. The same scenarios run on a new store (500 imported members, for
 * the reads to find: about 10 entries and 2 redemptions each, the shape every stage reads); after importing a
 * merchant's history through the store's own code (at SCALE=1: 1,000,000 ledger entries over 100,000 members, one of
 * them with 10,000, and 200,000 redemptions with their audit trails and coupons); and after 10,000 more ledger
 * entries written through the API. Then 20,000 delayed redemptions wait for their orders, and the worker's memory and
 * the capture of an order (with each process's CPU per capture) are measured against a few waiting. The worker runs as
 * its own process, as in production, so that its memory is its own. On the new store and on the imported one, a
 * 30-day redemptions report (by day, by status) is measured and one reconciliation of the whole store is timed, which
 * must find no mismatch. A webhook endpoint's deliveries list is paged with 1,500 attempts on the new store and with
 * every event of the imported redemptions (600,000 at SCALE=1) after the import. On the new store, 1,000 idle webhook
 * endpoints are measured against none: the store's operations per second and the webhook worker's activity slots in
 * use (bench/idle-endpoints.ts). Prometheus's scrape of /metrics is timed with a few redemptions awaiting their order
 * and with 200,000 (the 20,000 and as many more stored). The expiry pass is timed with 100 members' points expiring
 * on the new store, and with 100 and with 10,000 (at SCALE=1) on the imported one (bench/points-expiry.ts). Every
 * ratio is to the same scenario measured earlier in the same run. WORKER_MAX_CACHED_WORKFLOWS sets the worker's cache
 * (the product's default otherwise), which decides whether the waiting redemptions' workflows are replayed when
 * their orders come.
 */
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Db } from 'mongodb';
import type pg from 'pg';
import { reconcileLedger } from '../application/reconciliation';
import { stuckLimits } from '../domain/stuck';
import { withPostgres } from '../store/ferretdb/lookup-indexes';
import { loadConfig, type Config } from '../config/env';
import { daysOf, utcDay } from '../domain/reports';
import { freePort } from '../scripts/processes';
import { Ledger } from '../store/ledger';
import { WebhookDeliveries } from '../store/webhooks';
import { RedemptionGauges } from '../store/redemption-gauges';
import { RedemptionHistory } from '../store/redemption-history';
import { createMemberWithPoints, createOption, foldLedger } from '../test/harness/fixtures';
import { answered, apiClient, redemptionIn, type ApiClient } from './api-client';
import { cpuByRole, cpuPerOperation, untilIdle } from './cpu';
import { measureIdleEndpoints } from './idle-endpoints';
import { measureExpiryPass } from './points-expiry';
import { memoryOf, startProduct } from './product-processes';
import { compare, round } from './latency';
import {
  againstBaseline,
  measure,
  measureAfterWarmUp,
  NAMESPACE,
  positiveInt,
  printTable,
  startServers,
  tearDown,
  warmUpCount,
  writeResults,
  type Row,
  type Teardown,
} from './measure';
import { historyEmail, historyRedemptionId, importMembers, type HistoryShape } from './merchant-history';

const API_KEY = 'bench-scale-key';
const METRICS_TOKEN = 'bench-scale-metrics-token';
const DB_NAME = 'bench_scale';
const COST_POINTS = 100;
const NEW_MEMBER_POINTS = 1_000;

function scaleFactor(): number {
  const raw = process.env.SCALE ?? '1';
  const value = Number(raw);
  if (!(value > 0 && value <= 10)) throw new Error(`SCALE must be a number in (0, 10], got "${raw}".`);
  return value;
}

const scale = scaleFactor();
const settings = {
  scale,
  members: Math.round(100_000 * scale),
  ledger_entries: Math.round(1_000_000 * scale),
  redemptions: Math.round(200_000 * scale),
  heavy_member_entries: Math.max(100, Math.round(10_000 * scale)),
  waiting: Math.round(20_000 * scale),
  /** Redemptions awaiting their order when /metrics is scraped last: the waiting ones and as many more stored. */
  scrape_waiting: Math.round(200_000 * scale),
  api_ledger_writes: Math.round(10_000 * scale),
  /** A merchant's webhook endpoint's attempts: every event of every imported redemption (3 each). */
  delivery_attempts: Math.round(600_000 * scale),
  few_delivery_attempts: 1_500,
  few_expiring: 100,
  many_expiring: Math.max(1_000, Math.round(10_000 * scale)),
  idle_webhook_endpoints: positiveInt('BENCH_IDLE_ENDPOINTS', 1_000),
  idle_window_seconds: 30,
  samples: positiveInt('BENCH_SAMPLES', 200),
  few_members: 500,
  concurrency: 10,
  waiting_concurrency: 20,
  import_batch_members: 500,
  import_concurrency: 3,
};

/** Operations of a scenario of `count`, warm-up included: what its members must be prepared for. */
function operationsOf(count: number): number {
  return warmUpCount(count, settings.concurrency) + count;
}

/** What the scenarios share: the API, the store, and the redemption option every scenario redeems. */
interface Bench {
  api: ApiClient;
  config: Config;
  optionId: number;
  /** Members created for this run (not imported), with the points they were given. */
  created: Map<string, number>;
  newMember: () => Promise<{ id: string; email: string }>;
  workerPid: number;
  /** How long each stage waited for PostgreSQL's autovacuum to finish, and then for the stack to idle, before measuring. */
  quietSeconds: Record<string, number>;
  idleSeconds: Record<string, number>;
  /** The worker's memory while the stage's delayed redemptions wait for their orders, by stage. */
  fewWaiting: Record<string, ReturnType<typeof memoryOf>>;
  /** What the stage reads: imported redemptions and members, the same shape in every stage. */
  reads: { redemptionId: () => string; memberId: (index: number) => string };
  /** The member with many entries, once the merchant's history is imported. */
  heavy?: { id: string; email: string };
  /** A webhook endpoint and how many attempts its deliveries list holds. */
  webhooks: { endpointId: string; attempts: number };
  /** The attempts the endpoint's deliveries list held when each stage read it. */
  deliveryAttempts: Record<string, number>;
  /** The API's address, for /metrics. */
  url: string;
}

async function redeemImmediately(bench: Bench, email: string): Promise<string> {
  const body = { redemption_option_id: bench.optionId, customer_email: email };
  const answer = await answered(bench.api.POST('/v1/redemptions', { body }), 201);
  return redemptionIn(answer, 'completed').id;
}

async function redeemDelayed(bench: Bench, email: string): Promise<string> {
  const body = { redemption_option_id: bench.optionId, customer_email: email, delay_points_deduction: true };
  const answer = await answered(bench.api.POST('/v1/redemptions', { body }), 201);
  return redemptionIn(answer, 'awaiting_order').coupon_code!;
}

async function capture(bench: Bench, couponCode: string): Promise<void> {
  const body = { order_id: `order-${couponCode}`, coupon_code: couponCode, subtotal: 5_000 };
  const order = await answered(bench.api.POST('/v1/orders', { body }), 200);
  if (order.redemptions[0]?.status !== 'completed') throw new Error(`not captured: ${JSON.stringify(order)}`);
}

/** Picks spread over [0, n) by a fixed stride, so that reads touch the whole history and never the same item twice. */
function spread(n: number): (index: number) => number {
  return (index) => (index * 7_919 + 13) % n;
}

/** Measures after a warm-up, with the CPU each process (the worker's own included) spent per operation. */
async function measureWithCpu(
  bench: Bench,
  name: string,
  count: number,
  operation: (index: number) => Promise<unknown>,
): Promise<Row> {
  const cpu = () => cpuByRole(process.pid, { worker: bench.workerPid });
  let before = cpu();
  let autovacuum = watchAutovacuum(undefined);
  const summary = await measureAfterWarmUp(name, count, settings.concurrency, operation, async () => {
    autovacuum = watchAutovacuum(bench.config.mongo.postgresUrl);
    before = cpu();
  });
  const perOperation = cpuPerOperation(before, cpu(), count);
  return {
    ...summary,
    cpu_seconds_per_operation: perOperation,
    autovacuum_while_measuring: await autovacuum.stop(),
  };
}

/**
 * The scenarios measured at each stage, once the store is quiet. Reads go to imported members and redemptions of the
 * same shape in every stage (about 10 entries and 2 redemptions a member), so that only the store's size differs.
 * `label` prefixes the scenario names.
 */
async function measureStage(bench: Bench, label: string): Promise<Row[]> {
  const { samples, concurrency } = settings;
  const name = (scenario: string) => `${label}: ${scenario}`;
  const members = await Promise.all(Array.from({ length: operationsOf(samples) }, () => bench.newMember()));
  await settle(bench, label);
  const rows: Row[] = [];
  rows.push(
    await measureAfterWarmUp(
      name(`immediate redemption, new member each, ${concurrency} in flight`),
      samples,
      concurrency,
      (i) => redeemImmediately(bench, members[i]!.email),
    ),
  );
  const single = Math.max(20, Math.round(samples / 4));
  const singleMembers = await Promise.all(Array.from({ length: operationsOf(single) }, () => bench.newMember()));
  rows.push(
    await measureAfterWarmUp(name('immediate redemption, new member, 1 in flight'), single, 1, (i) =>
      redeemImmediately(bench, singleMembers[i]!.email),
    ),
  );
  const { heavy, reads } = bench;
  if (heavy) {
    rows.push(
      await measureAfterWarmUp(
        name(`immediate redemption, member with ${settings.heavy_member_entries}+ entries, 1 in flight`),
        single,
        1,
        () => redeemImmediately(bench, heavy.email),
      ),
    );
  }
  rows.push(
    await measureAfterWarmUp(name(`GET a redemption, ${concurrency} in flight`), samples * 2, concurrency, async () => {
      const id = reads.redemptionId();
      await answered(bench.api.GET('/v1/redemptions/{id}', { params: { path: { id } } }), 200);
    }),
  );
  const ledgerOwner = reads.memberId;
  rows.push(
    await measureAfterWarmUp(
      name(`GET a ledger page, ${concurrency} in flight`),
      samples * 2,
      concurrency,
      async (i) => {
        await answered(bench.api.GET('/v1/members/{id}/ledger', { params: { path: { id: ledgerOwner(i) } } }), 200);
      },
    ),
  );
  if (heavy) {
    rows.push(
      await measureAfterWarmUp(
        name(`GET ledger pages 1-100 of the member with ${settings.heavy_member_entries}+ entries`),
        samples,
        concurrency,
        async (i) => {
          const params = { path: { id: heavy.id }, query: { page: 1 + (i % 100) } };
          await answered(bench.api.GET('/v1/members/{id}/ledger', { params }), 200);
        },
      ),
    );
  }
  const { endpointId, attempts } = bench.webhooks;
  bench.deliveryAttempts[label] = attempts;
  rows.push(
    await measureAfterWarmUp(
      name(`GET deliveries pages 1-100 of the webhook endpoint, ${concurrency} in flight`),
      samples,
      concurrency,
      async (i) => {
        const params = { path: { id: endpointId }, query: { page: 1 + (i % 100) } };
        await answered(bench.api.GET('/v1/webhook-endpoints/{id}/deliveries', { params }), 200);
      },
    ),
  );
  const captureMembers = await Promise.all(Array.from({ length: operationsOf(samples) }, () => bench.newMember()));
  const coupons = await inFlight(captureMembers.length, concurrency, (i) =>
    redeemDelayed(bench, captureMembers[i]!.email),
  );
  bench.fewWaiting[label] = memoryOf(bench.workerPid);
  rows.push(
    await measureWithCpu(bench, name(`order capturing a held coupon, ${concurrency} in flight`), samples, (i) =>
      capture(bench, coupons[i]!),
    ),
  );
  return rows;
}

/** Prometheus's scrape of the API's /metrics: its store gauges read the redemptions waiting and the points held. */
function measureScrape(bench: Bench, label: string): Promise<Row> {
  return measureAfterWarmUp(`${label}: GET /metrics, 1 in flight`, settings.samples, 1, async () => {
    const res = await fetch(`${bench.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await res.text();
    if (res.status !== 200 || !text.includes('redemptions_waiting{status="awaiting_order"}')) {
      throw new Error(`/metrics answered ${res.status} without the waiting gauges`);
    }
  });
}

/**
 * Stores redemptions awaiting their order until `total` wait, as the steps leave them (without workflows: only the
 * store's size matters to a scrape), and recounts the gauges as reconciliation would.
 */
async function storeWaiting(db: Db, waitingNow: number, total: number): Promise<void> {
  const history = new RedemptionHistory(db);
  const batch = 2_000;
  for (let from = waitingNow; from < total; from += batch) {
    const now = new Date();
    await history.importMany(
      Array.from({ length: Math.min(batch, total - from) }, (_, k) => ({
        document: {
          _id: `rdm_waiting_${from + k}`,
          request_hash: `waiting:${from + k}`,
          request: { customer_email: '***', redemption_option_id: 0, delay_points_deduction: true },
          member_id: null,
          redemption_option_id: 0,
          points: COST_POINTS,
          delay_points_deduction: true,
          currency: null,
          coupon_code: null,
          status: 'awaiting_order' as const,
          reason: null,
          partner: null,
          order_id: null,
          expires_at: null,
          created_at: now,
          updated_at: now,
          version: 1,
        },
        events: [],
      })),
    );
  }
  await new RedemptionGauges(db).recount();
}

/** Records `count` more delivery attempts of the bench's webhook endpoint, as its lane does: a round at a time. */
async function recordAttempts(db: Db, bench: Bench, count: number): Promise<void> {
  const deliveries = new WebhookDeliveries(db);
  const { endpointId } = bench.webhooks;
  for (let done = 0; done < count; done += 500) {
    const round = Array.from({ length: Math.min(500, count - done) }, (_, index) => ({
      endpoint_id: endpointId,
      event_id: `evt_bench_${bench.webhooks.attempts + done + index}`,
      event_type: 'redemption.completed' as const,
      attempt: 1,
      http_status: 204,
      error: null,
      latency_ms: 12,
      succeeded: true,
      next_try_at: null,
      attempted_at: new Date(),
    }));
    await deliveries.record(endpointId, round);
  }
  bench.webhooks.attempts += count;
}

/** Runs `count` operations with `concurrency` in flight and returns their results in order. */
async function inFlight<T>(count: number, concurrency: number, operation: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  await measure('preparation', count, concurrency, async (index) => {
    results[index] = await operation(index);
  });
  return results;
}

async function databaseBytes(postgresUrl: string | undefined): Promise<number | undefined> {
  if (!postgresUrl) return undefined;
  return withPostgres(postgresUrl, async (client) => {
    const { rows } = await client.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
    return Number(rows[0]!.bytes);
  });
}

/** Reads spread over a history's members (never its heavy member 0) and redemptions. */
function readsOf(shape: HistoryShape, memberIds: string[]): Bench['reads'] {
  const pickMember = spread(shape.members - 1);
  const pickRedemption = spread(shape.redemptions);
  let next = 0;
  return {
    redemptionId: () => historyRedemptionId(shape.tag, pickRedemption(next++)),
    memberId: (index) => memberIds[1 + pickMember(index)]!,
  };
}

/**
 * Vacuums and analyzes the store (so that no autovacuum is due during the measurement), waits until no autovacuum
 * worker runs, then until the servers and the worker idle, and records how long the waits took: a stage measures the
 * store, not the maintenance that the writes before it set off.
 */
async function settle(bench: Bench, label: string): Promise<void> {
  await vacuumAnalyze(bench.config.mongo.postgresUrl);
  bench.quietSeconds[label] = await untilQuiet(bench.config.mongo.postgresUrl);
  bench.idleSeconds[label] = await untilIdle(process.pid, { worker: bench.workerPid });
}

/** What PostgreSQL's autovacuum workers are doing now (`autovacuum: VACUUM public.…`), one entry per worker. */
async function autovacuumQueries(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ query: string }>(
    "SELECT query FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'",
  );
  return rows.map((row) => row.query);
}

/** Waits until no autovacuum worker runs (at most 5 minutes) and returns how long that took. */
async function untilQuiet(postgresUrl: string | undefined): Promise<number> {
  if (!postgresUrl) return 0;
  return withPostgres(postgresUrl, async (client) => {
    const begin = performance.now();
    for (;;) {
      if ((await autovacuumQueries(client)).length === 0 || performance.now() - begin > 300_000) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    return round((performance.now() - begin) / 1000, 1);
  });
}

/**
 * Watches PostgreSQL's autovacuum workers until stopped, and returns what they were doing (`autovacuum: VACUUM
 * public.…`): a measurement that shared the machine with them says so.
 */
function watchAutovacuum(postgresUrl: string | undefined): { stop: () => Promise<string[]> } {
  if (!postgresUrl) return { stop: async () => [] };
  let watching = true;
  const seen = new Set<string>();
  const watched = withPostgres(postgresUrl, async (client) => {
    while (watching) {
      for (const query of await autovacuumQueries(client)) seen.add(query);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });
  return {
    stop: async () => {
      watching = false;
      await watched;
      return [...seen];
    },
  };
}

async function vacuumAnalyze(postgresUrl: string | undefined): Promise<void> {
  if (postgresUrl) await withPostgres(postgresUrl, (client) => client.query('VACUUM (ANALYZE)'));
}

const DAY_MS = 24 * 3600 * 1000;
/**
 * The reports' range: 30 whole UTC days, 90 to 60 days ago, inside both imported histories (spread over the past year)
 * and before anything this run wrote, so that the new store and the imported one are asked for the same days.
 */
function reportRange(now = new Date()): { from: string; to: string; days: string[] } {
  const today = Date.parse(utcDay(now));
  const from = new Date(today - 90 * DAY_MS);
  const to = new Date(today - 60 * DAY_MS);
  return { from: utcDay(from), to: utcDay(to), days: daysOf(from, to) };
}

interface ReportFigures {
  from: string;
  to: string;
  /** Redemptions created in the range (the report's total), and their share of the store. */
  redemptions_in_range: number;
  share_of_store: number;
}

/**
 * The p50 of a 30-day redemptions report grouped by day and by status, at 1 in flight; both must count every
 * redemption created in the range (an indexed count of the range's days).
 */
async function measureReports(bench: Bench, db: Db, label: string): Promise<{ rows: Row[]; figures: ReportFigures }> {
  const { from, to, days } = reportRange();
  const inRange = await db.collection('redemptions').countDocuments({ created_day: { $in: days } });
  const count = Math.max(10, Math.round(settings.samples / 10));
  const rows: Row[] = [];
  for (const groupBy of ['day', 'status'] as const) {
    rows.push(
      await measureAfterWarmUp(`${label}: 30-day redemptions report by ${groupBy}, 1 in flight`, count, 1, async () => {
        const params = { query: { from, to, group_by: groupBy } };
        const report = await answered(bench.api.GET('/v1/reports/redemptions', { params }), 200);
        // The JSON answer: the report comes as CSV only when asked for it.
        const total = typeof report === 'string' ? report : report.totals.count;
        if (total !== inRange) throw new Error(`the report by ${groupBy} counts ${total}; ${inRange} are in range`);
      }),
    );
  }
  const stored = await db.collection('redemptions').countDocuments({});
  return {
    rows,
    figures: { from, to, redemptions_in_range: inRange, share_of_store: round(inRange / stored, 3) },
  };
}

interface ReconciliationFigures {
  seconds: number;
  members: number;
  entries: number;
  redemptions: number;
  mismatches: number;
  /** Members and their entries are checked first, then redemptions: each rate is over its own part of the run. */
  members_per_second: number;
  entries_per_second: number;
  redemptions_per_second: number;
  /** This process's resident memory before the run, and its largest growth seen after any batch. */
  rss_before_mb: number;
  rss_growth_mb: number;
}

/** One reconciliation of the whole store, as `npm run reconcile` runs it; any mismatch fails the bench. */
async function reconcileStore(db: Db, label: string): Promise<ReconciliationFigures> {
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const begin = performance.now();
  let membersDone = begin;
  const report = await reconcileLedger(db, {
    trigger: 'cli',
    stuckLimits: stuckLimits(loadConfig({ API_KEYS: 'bench' })),
    onBatch: (progress) => {
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      if (progress.redemptions_checked === 0) membersDone = performance.now();
    },
  });
  const end = performance.now();
  if (report.mismatch_count > 0) {
    const shown = report.mismatches
      .slice(0, 5)
      .map(({ kind, id, problems }) => `${kind} ${id}: ${problems.map((problem) => problem.message).join(' ')}`);
    throw new Error(`${label}: reconciliation found ${report.mismatch_count} mismatches, e.g.\n${shown.join('\n')}`);
  }
  const perSecond = (count: number, ms: number) => (ms > 0 ? round(count / (ms / 1000), 0) : 0);
  const mb = (bytes: number) => round(bytes / 2 ** 20, 1);
  return {
    seconds: round((end - begin) / 1000, 1),
    members: report.members_checked,
    entries: report.entries_checked,
    redemptions: report.redemptions_checked,
    mismatches: report.mismatch_count,
    members_per_second: perSecond(report.members_checked, membersDone - begin),
    entries_per_second: perSecond(report.entries_checked, membersDone - begin),
    redemptions_per_second: perSecond(report.redemptions_checked, end - membersDone),
    rss_before_mb: mb(rssBefore),
    rss_growth_mb: mb(rssPeak - rssBefore),
  };
}

function compareStages(stage: Row[], baseline: Row[], strip: (name: string) => string): Row[] {
  return stage.map((row) => {
    const base = baseline.find((candidate) => strip(candidate.name) === strip(row.name));
    return base ? againstBaseline(row, base) : row;
  });
}

async function main(): Promise<void> {
  const teardown: Teardown = [];
  const timings: Record<string, number> = {};
  const time = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    const begin = performance.now();
    const result = await run();
    timings[what] = round((performance.now() - begin) / 1000, 1);
    console.log(`${what}: ${timings[what]} s`);
    return result;
  };
  try {
    const { temporal: temporalServer, mongo: mongoServer, versions } = await startServers('scale', teardown);
    console.log(
      `Temporal at ${temporalServer.address}, ${versions.mongo} at ${mongoServer.address}; settings`,
      settings,
    );
    const env = {
      API_KEYS: API_KEY,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: `bench-scale-${process.pid}`,
      // The worker's cache (the product's default unless set): whether the waiting redemptions stay cached.
      ...(process.env.WORKER_MAX_CACHED_WORKFLOWS
        ? { WORKER_MAX_CACHED_WORKFLOWS: process.env.WORKER_MAX_CACHED_WORKFLOWS }
        : {}),
      MONGODB_URI: mongoServer.uri,
      FERRETDB_POSTGRESQL_URL: mongoServer.postgresUrl ?? '',
      MONGODB_DB: DB_NAME,
      // The bench times its own reconciliation runs; a scheduled one must not run into a measurement.
      RECONCILE_SCHEDULE: 'off',
      // The same for the expiry pass, which the bench runs at dates of its own.
      POINTS_EXPIRY_INTERVAL_SECONDS: 'off',
      // Its endpoint is never sent to, but it is registered at 127.0.0.1; so are the idle endpoints' receiver.
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      METRICS_TOKEN: METRICS_TOKEN,
    };
    // The worker's metrics, for its activity slots in use.
    const workerMetricsAddress = `127.0.0.1:${await freePort()}`;
    const logFile = join(os.tmpdir(), `bench-scale-worker-${process.pid}.log`);
    const { config, mongo, temporal, worker, url } = await startProduct(
      env,
      { WORKER_METRICS_ADDRESS: workerMetricsAddress },
      logFile,
      teardown,
    );

    const option = await createOption(mongo.db, { cost_points: COST_POINTS });
    const created = new Map<string, number>();
    const bench: Bench = {
      api: apiClient(url, API_KEY),
      config,
      optionId: option.id,
      created,
      workerPid: worker.pid!,
      fewWaiting: {},
      quietSeconds: {},
      idleSeconds: {},
      reads: { redemptionId: () => '', memberId: () => '' },
      webhooks: { endpointId: '', attempts: 0 },
      deliveryAttempts: {},
      url,
      newMember: async () => {
        const member = await createMemberWithPoints(mongo.db, NEW_MEMBER_POINTS);
        created.set(member._id, NEW_MEMBER_POINTS);
        return { id: member._id, email: member.email! };
      },
    };

    // A new merchant: a few members with the same history each as the big import's, for the reads to find.
    const fewShape: HistoryShape = {
      members: settings.few_members,
      ledgerEntries: settings.few_members * 10,
      redemptions: settings.few_members * 2,
      heavyMemberEntries: 10,
      optionId: option.id,
      costPoints: COST_POINTS,
      tag: 'few',
    };
    const fewIds = await importMembers(mongo.db, fewShape, 0, fewShape.members);
    bench.reads = readsOf(fewShape, fewIds);
    // Subscribed to an event no redemption here has, so that the endpoint is only read, never sent to.
    const body = { url: 'http://127.0.0.1:9/hooks', events: ['redemption.needs_review' as const] };
    const endpoint = await answered(bench.api.POST('/v1/webhook-endpoints', { body }), 201);
    bench.webhooks.endpointId = endpoint.id;
    await recordAttempts(mongo.db, bench, settings.few_delivery_attempts);
    const empty = await measureStage(bench, 'new store (500 members)');
    const fewWaitingScrape = await measureScrape(bench, `${operationsOf(settings.samples)} waiting`);
    const fewReports = await measureReports(bench, mongo.db, 'new store (500 members)');
    empty.push(...fewReports.rows);
    const fewReconciliation = await time('reconciliation of the new store', () =>
      reconcileStore(mongo.db, 'new store'),
    );
    const hoursAhead = (hours: number) => new Date(Math.ceil(Date.now() / 60_000) * 60_000 + hours * 3_600_000);
    const fewExpiring = await time('expiry pass on the new store', () =>
      measureExpiryPass(mongo.db, fewIds.slice(0, settings.few_expiring), hoursAhead(1), settings.concurrency),
    );
    const idleEndpoints = await time(`${settings.idle_webhook_endpoints} idle webhook endpoints`, () =>
      measureIdleEndpoints(
        { endpoints: settings.idle_webhook_endpoints, windowMs: settings.idle_window_seconds * 1000 },
        {
          db: mongo.db,
          config,
          temporal,
          workerMetricsUrl: `http://${workerMetricsAddress}/metrics`,
        },
      ),
    );
    console.log('idle webhook endpoints', idleEndpoints);

    const shape: HistoryShape = {
      members: settings.members,
      ledgerEntries: settings.ledger_entries,
      redemptions: settings.redemptions,
      heavyMemberEntries: settings.heavy_member_entries,
      optionId: option.id,
      costPoints: COST_POINTS,
      tag: 'history',
    };
    const memberIds: string[] = [];
    const batches = Math.ceil(shape.members / settings.import_batch_members);
    await time('import', () =>
      measure('import', batches, settings.import_concurrency, async (batch) => {
        const from = batch * settings.import_batch_members;
        const ids = await importMembers(
          mongo.db,
          shape,
          from,
          Math.min(shape.members, from + settings.import_batch_members),
        );
        ids.forEach((id, k) => (memberIds[from + k] = id));
      }),
    );
    await time('delivery attempts import', () =>
      recordAttempts(mongo.db, bench, settings.delivery_attempts - bench.webhooks.attempts),
    );
    // As after any bulk load into PostgreSQL: refresh the planner's statistics and the visibility map now, rather than
    // measure the autovacuum that the load set off.
    await time('vacuum analyze after import', () => vacuumAnalyze(config.mongo.postgresUrl));
    const counts = {
      members: await mongo.db.collection('members').estimatedDocumentCount(),
      ledger_entries: await mongo.db.collection('ledger').estimatedDocumentCount(),
      redemptions: await mongo.db.collection('redemptions').estimatedDocumentCount(),
    };
    const bytesAfterImport = await databaseBytes(config.mongo.postgresUrl);
    console.log('store after import', counts, `${round((bytesAfterImport ?? 0) / 2 ** 20, 1)} MiB`);

    const pickMember = spread(shape.members - 1);
    bench.reads = readsOf(shape, memberIds);
    bench.heavy = { id: memberIds[0]!, email: historyEmail(shape.tag, 0) };
    const full = await measureStage(bench, 'imported history');
    // After the stage's own scenarios, so that reading the whole store warms nothing they measure.
    await settle(bench, 'reports and reconciliation');
    const fullReports = await measureReports(bench, mongo.db, 'imported history');
    full.push(...fullReports.rows);
    const fullReconciliation = await time('reconciliation of the imported store', () =>
      reconcileStore(mongo.db, 'imported store'),
    );
    // Imported members, never the heavy one.
    const expiring = (count: number) => memberIds.slice(1, 1 + Math.min(count, shape.members - 1));
    const importedFewExpiring = await time('expiry pass on the imported store, few expiring', () =>
      measureExpiryPass(mongo.db, expiring(settings.few_expiring), hoursAhead(2), settings.concurrency),
    );
    const importedManyExpiring = await time('expiry pass on the imported store, many expiring', () =>
      measureExpiryPass(mongo.db, expiring(settings.many_expiring), hoursAhead(3), settings.concurrency),
    );
    const pointsExpiry = {
      new_store_few: fewExpiring,
      imported_store_few: importedFewExpiring,
      imported_store_many: importedManyExpiring,
      // Near 1: the pass does not grow with the ledger.
      few_imported_versus_new_seconds_ratio: round(importedFewExpiring.pass_seconds / fewExpiring.pass_seconds, 2),
      empty_imported_versus_new_seconds_ratio: round(
        importedFewExpiring.empty_pass_seconds / fewExpiring.empty_pass_seconds,
        2,
      ),
      // Near 1: the pass grows with the dates expiring, at a steady cost per date.
      many_versus_few_ms_per_date_ratio: round(importedManyExpiring.ms_per_date / importedFewExpiring.ms_per_date, 2),
    };
    console.log('points expiry', pointsExpiry);
    const reconciliation = {
      new_store: fewReconciliation,
      imported_store: fullReconciliation,
      seconds_ratio: round(fullReconciliation.seconds / fewReconciliation.seconds, 1),
      entries_per_second_ratio: round(fullReconciliation.entries_per_second / fewReconciliation.entries_per_second, 2),
      redemptions_per_second_ratio: round(
        fullReconciliation.redemptions_per_second / fewReconciliation.redemptions_per_second,
        2,
      ),
    };
    console.log('reconciliation', reconciliation);
    const reports = { new_store: fewReports.figures, imported_store: fullReports.figures };
    console.log('reports', reports);

    const writers = spread(shape.members);
    await time('api ledger writes', () =>
      measure('api ledger writes', settings.api_ledger_writes, settings.concurrency, async (index) => {
        // Every tenth goes to the heavy member, the rest over the imported members.
        const memberId = index % 10 === 0 ? memberIds[0]! : memberIds[writers(index)]!;
        const body = { points: 10, reason: 'visit', idempotency_key: `bench-write-${index}` };
        await answered(bench.api.POST('/v1/members/{id}/points', { params: { path: { id: memberId } }, body }), 201);
      }),
    );
    const afterWrites = await measureStage(bench, 'after API writes');

    // Imported members (never the heavy one) each hold one redemption until its order comes.
    const waitingCoupons = await time('start waiting redemptions', () =>
      inFlight(settings.waiting, settings.waiting_concurrency, (index) =>
        redeemDelayed(bench, historyEmail(shape.tag, 1 + pickMember(index))),
      ),
    );
    await settle(bench, `${settings.waiting} waiting`);
    const manyWaiting = memoryOf(worker.pid!);
    const pickWaiting = spread(waitingCoupons.length);
    const waitingCapture = await measureWithCpu(
      bench,
      `${settings.waiting} waiting: order capturing a held coupon, ${settings.concurrency} in flight`,
      settings.samples,
      (index) => capture(bench, waitingCoupons[pickWaiting(index)]!),
    );
    await time(`store ${settings.scrape_waiting} waiting`, () =>
      storeWaiting(mongo.db, settings.waiting, settings.scrape_waiting),
    );
    await settle(bench, `${settings.scrape_waiting} waiting`);
    const manyWaitingScrape = await measureScrape(bench, `${settings.scrape_waiting} waiting`);
    const bytesAtEnd = await databaseBytes(config.mongo.postgresUrl);

    const strip = (name: string) => name.slice(name.indexOf(': ') + 2);
    const emptyCapture = empty.find((row) => row.name.includes('order capturing'))!;
    const rows = [
      ...empty,
      ...compareStages(full, empty, strip),
      ...compareStages(afterWrites, full, strip),
      againstBaseline(waitingCapture, emptyCapture),
      fewWaitingScrape,
      againstBaseline(manyWaitingScrape, fewWaitingScrape),
    ];
    // The heavy member against a new member in the same stage.
    const heavyVersusNew = [full, afterWrites].map((stage) => {
      const heavy = stage.find((row) => row.name.includes('member with'))!;
      const fresh = stage.find((row) => row.name.includes('new member, 1 in flight'))!;
      return { stage: heavy.name, ...againstBaseline({ ...heavy }, fresh) };
    });
    printTable(rows);
    // Against the same store with few waiting too (the stage just before), which leaves the store's growth out.
    const sameStoreCapture = afterWrites.find((row) => row.name.includes('order capturing'))!;
    const waitingCaptureVersus = {
      new_store_few_waiting: compare(waitingCapture, emptyCapture),
      same_store_few_waiting: compare(waitingCapture, sameStoreCapture),
    };
    console.log(`capture with ${settings.waiting} waiting against few waiting`, waitingCaptureVersus);
    for (const row of heavyVersusNew)
      console.log(`${row.stage} vs a new member: p50 x ${row.p50_ratio}, rate x ${row.per_second_ratio}`);
    const workerMemory = {
      max_cached_workflows: config.workerMaxCachedWorkflows,
      few_waiting: { waiting: operationsOf(settings.samples), ...bench.fewWaiting['new store (500 members)'] },
      few_waiting_by_stage: bench.fewWaiting,
      many_waiting: { waiting: settings.waiting, ...manyWaiting },
    };
    console.log('worker memory', workerMemory);

    const checked = await checkBalances(bench, mongo.db, [
      ...memberIds.slice(0, 1),
      ...Array.from({ length: 100 }, (_, i) => memberIds[1 + pickMember(i)]!),
    ]);
    console.log(`Checked: ${checked} balances equal their ledger fold and the API.`);

    // A run with a cache of its own writes beside the product's default's results.
    const cache = process.env.WORKER_MAX_CACHED_WORKFLOWS;
    writeResults(cache ? `scale-cache-${cache}` : 'scale', versions, {
      settings,
      store: {
        ...counts,
        bytes_after_import: bytesAfterImport,
        bytes_at_end: bytesAtEnd,
      },
      timings_seconds: timings,
      waited_for_autovacuum_seconds: bench.quietSeconds,
      waited_for_idle_seconds: bench.idleSeconds,
      import_documents_per_second: round(
        (counts.members + counts.ledger_entries + counts.redemptions * 2) / timings.import!,
        0,
      ),
      worker_memory: workerMemory,
      heavy_member_versus_new_member: heavyVersusNew,
      capture_with_many_waiting_versus: waitingCaptureVersus,
      reports,
      reconciliation,
      points_expiry: pointsExpiry,
      webhook_delivery_attempts_by_stage: bench.deliveryAttempts,
      idle_webhook_endpoints: idleEndpoints,
      checks: { balances_equal_to_fold: checked, reconciliation_mismatches: 0 },
      scenarios: rows,
    });
  } finally {
    await tearDown(teardown);
  }
}

/** The balance the API reports equals the fold of the ledger, for the members created here and the sample given. */
async function checkBalances(bench: Bench, db: Parameters<typeof foldLedger>[0], sample: string[]): Promise<number> {
  const ledger = new Ledger(db);
  const memberIds = [...new Set([...bench.created.keys(), ...sample])];
  await measure('balance check', memberIds.length, settings.concurrency, async (index) => {
    const memberId = memberIds[index]!;
    const fold = await foldLedger(db, memberId);
    const head = await ledger.balances(memberId);
    const answer = await answered(bench.api.GET('/v1/members/{id}', { params: { path: { id: memberId } } }), 200);
    for (const [source, balance, held] of [
      ['head', head.points_balance, head.points_held],
      ['api', answer.points_balance, answer.points_held],
    ] as const) {
      if (balance !== fold.points_balance || held !== fold.points_held) {
        throw new Error(
          `member ${memberId}: ${source} says ${balance}/${held}, the fold ${fold.points_balance}/${fold.points_held}`,
        );
      }
    }
  });
  return memberIds.length;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
