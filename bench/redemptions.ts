/**
 * What a redemption costs on the embedded stack, against an empty Temporal workflow and one of 4 sequential no-op
 * activities measured in the same run: ledger appends with and without optimistic-concurrency contention, and
 * immediate and delayed redemptions through the real API and a real worker, on their own members and all on one
 * member, with the history events of one redemption, the API's and the worker's store round trips per redemption and
 * the CPU time each process (and each role of the bench process's threads: Node's main thread, its others, the SDK
 * core's) spends per operation; and points earned through the API, a request without a workflow, as the floor under
 * any step that skipped Temporal. Then the immediate redemptions again while two merchant webhook endpoints receive
 * every event, one of them never answering, against the immediate redemptions without endpoints. Ends by checking
 * every balance against the fold of its ledger, and fails if any answer, webhook event or balance is not what the
 * product promises.
 */
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MongoClient, type Db } from 'mongodb';
import { workflowIdOf } from '../application/redemption-ids';
import { composeApi } from '../api/compose';
import { loadConfig, type Config } from '../config/env';
import { createLogger } from '../config/logger';
import { connectMongo, type MongoHandle } from '../store/connect';
import { LedgerContentionError } from '../domain/ledger';
import { Ledger } from '../store/ledger';
import { createMemberWithPoints, createOption, foldLedger } from '../test/harness/fixtures';
import { composeWorker } from '../worker/compose';
import { createWorker } from '../worker/create-worker';
import { installTemporalRuntime } from '../application/temporal-runtime';
import * as benchActivities from './activities';
import { answered, apiClient, redemptionIn, type ApiClient } from './api-client';
import { cpuByRole, cpuPerOperation } from './cpu';
import { compare, round } from './latency';
import {
  againstActivitiesBaseline,
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
import { answeringReceiver, hangingReceiver, type ReceivedEvent } from './webhook-receivers';
import type { emptyWorkflow, sequentialActivitiesWorkflow } from './workflows';

const settings = {
  redemptions: positiveInt('BENCH_REDEMPTIONS', 200),
  appends: positiveInt('BENCH_APPENDS', 100),
  concurrency: positiveInt('BENCH_CONCURRENCY', 10),
  sync_wait_ms: positiveInt('BENCH_SYNC_WAIT_MS', 60_000),
};
const DB_NAME = 'bench_redemptions';
const API_KEY = 'bench-api-key';
/**
 * How long POST /v1/redemptions waits for the decision before answering 202. Under contention the product's default
 * is sometimes too short, and a 202 would end the run without a measurement; the bench waits longer
 * (BENCH_SYNC_WAIT_MS) so that it measures the time to the decision, and counts the answers the default would have
 * turned into a 202.
 */
const DEFAULT_SYNC_WAIT_MS = loadConfig({ API_KEYS: API_KEY }).redemptionSyncWaitMs;
const COST_POINTS = 100;
/** Enough for one redemption with room to spare, so that no answer is a 422 for lack of points. */
const POINTS_PER_MEMBER = 10 * COST_POINTS;
const EARN_POINTS = 10;
/**
 * How long a webhook delivery waits for an answer: short, so that the endpoint that never answers times out, and its
 * deliveries are retried, during the run.
 */
const WEBHOOK_TIMEOUT_MS = 2_000;
/** A worker reads the enabled endpoints at most this often: a newly registered one gets events from then on. */
const ENDPOINTS_CACHE_MS = loadConfig({ API_KEYS: API_KEY }).webhooks.endpointsCacheMs;
/** The events of an immediate redemption, in order. */
const IMMEDIATE_EVENTS = ['redemption.pending', 'redemption.redeeming', 'redemption.completed'];
/** How long, after the webhook scenario, the answering endpoint may take to receive every event. */
const WEBHOOK_DRAIN_DEADLINE_MS = 300_000;
const benchWorkflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

/**
 * The worker's connection, counting every command it sends (each one a store round trip) and, among them, the inserts
 * into the ledger. Ledger.append does one insert per attempt and retries after losing a sequence number to another
 * writer, so inserts per entry written is its average number of attempts.
 */
async function connectCountingCommands(uri: string) {
  const client = new MongoClient(uri, { monitorCommands: true, ignoreUndefined: true });
  await client.connect();
  let commands = 0;
  let ledgerInserts = 0;
  /** Commands by name and collection, e.g. `insert ledger`. */
  const byCommand = new Map<string, number>();
  client.on('commandStarted', (event) => {
    commands++;
    if (event.commandName === 'insert' && event.command.insert === 'ledger') ledgerInserts++;
    const key = `${event.commandName} ${String(event.command[event.commandName] ?? '')}`.trim();
    byCommand.set(key, (byCommand.get(key) ?? 0) + 1);
  });
  return {
    client,
    db: client.db(DB_NAME),
    commands: () => commands,
    ledgerInserts: () => ledgerInserts,
    byCommand: () => new Map(byCommand),
  };
}
type CountingHandle = Awaited<ReturnType<typeof connectCountingCommands>>;

interface Observed {
  /** The connections whose commands count, by the process they stand for (`API`, `worker`). */
  stores: Record<string, CountingHandle>;
  /** Read over another connection, so that reading it is not counted. */
  ledgerEntries: () => Promise<number>;
  /** Appends that gave up with LedgerContentionError so far. */
  giveUps?: () => number;
  /** 201 answers so far that took longer than the product's default synchronous wait. */
  slowAnswers?: () => number;
}

/**
 * Measures after a warm-up. Given the counting handle, it also reports the measured part's store round trips per
 * operation, ledger attempts per entry written, and what the counters counted during it.
 */
async function scenario(
  name: string,
  count: number,
  operation: (index: number) => Promise<unknown>,
  observe?: Observed,
): Promise<Row> {
  const { concurrency } = settings;
  const { stores = {}, ledgerEntries, giveUps, slowAnswers } = observe ?? {};
  const handles = Object.entries(stores);
  const counts = async () => ({
    cpu: cpuByRole(process.pid),
    byCommand: new Map(
      handles.flatMap(([role, handle]) =>
        [...handle.byCommand()].map(([command, total]) => [`${role}: ${command}`, total] as const),
      ),
    ),
    byProcess: new Map(handles.map(([role, handle]) => [role, handle.commands()] as const)),
    inserts: handles.reduce((sum, [, handle]) => sum + handle.ledgerInserts(), 0),
    entries: (await ledgerEntries?.()) ?? 0,
    giveUps: giveUps?.() ?? 0,
    slowAnswers: slowAnswers?.() ?? 0,
  });
  let before = await counts();
  const summary = await measureAfterWarmUp(name, count, concurrency, operation, async () => {
    before = await counts();
  });
  const after = await counts();
  const cpu = { cpu_seconds_per_operation: cpuPerOperation(before.cpu, after.cpu, count) };
  if (handles.length === 0) return { ...summary, ...cpu };
  const written = after.entries - before.entries;
  const perOperation = (totals: { before: Map<string, number>; after: Map<string, number> }) =>
    Object.fromEntries(
      [...totals.after]
        .map(([key, total]) => [key, round((total - (totals.before.get(key) ?? 0)) / count, 2)] as const)
        .filter(([, value]) => value > 0)
        .sort(([, a], [, b]) => b - a),
    );
  const byProcess = perOperation({ before: before.byProcess, after: after.byProcess });
  return {
    ...summary,
    ...cpu,
    store_round_trips: round(
      Object.values(byProcess).reduce((sum, value) => sum + value, 0),
      2,
    ),
    store_round_trips_by_process: byProcess,
    store_round_trips_by_command: perOperation({ before: before.byCommand, after: after.byCommand }),
    ledger_attempts_per_entry: written > 0 ? round((after.inserts - before.inserts) / written, 2) : 0,
    ...(giveUps ? { ledger_give_ups: after.giveUps - before.giveUps } : {}),
    ...(slowAnswers ? { answers_over_default_sync_wait: after.slowAnswers - before.slowAnswers } : {}),
  };
}

/** Total operations a scenario of `count` runs, warm-up included: what its members must be prepared for. */
function operationsOf(count: number): number {
  return warmUpCount(count, settings.concurrency) + count;
}

async function historyEventsOf(temporal: Client, workflowId: string): Promise<number> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

/** The baselines: an empty workflow, and one of 4 sequential no-op activities (what a saga of 4 steps costs at least). */
async function benchBaselines(temporal: Client, connection: NativeConnection): Promise<Row[]> {
  const taskQueue = `bench-baseline-${process.pid}-${Date.now()}`;
  const worker = await createWorker(
    { connection, namespace: NAMESPACE, taskQueue, activities: benchActivities },
    { workflowsPath: benchWorkflowsPath, shutdownGraceTime: '5 seconds' },
  );
  const baseline = async (name: string, workflowType: 'emptyWorkflow' | 'sequentialActivitiesWorkflow') => {
    const workflowId = (index: number) => `${taskQueue}-${workflowType}-${index}`;
    const row = await scenario(name, settings.redemptions, (index) =>
      temporal.workflow.execute<typeof emptyWorkflow | typeof sequentialActivitiesWorkflow>(workflowType, {
        taskQueue,
        workflowId: workflowId(index),
      }),
    );
    return { ...row, history_events: await historyEventsOf(temporal, workflowId(0)) };
  };
  return worker.runUntil(async () => [
    await baseline('workflow: empty (baseline)', 'emptyWorkflow'),
    await baseline('workflow: 4 sequential no-op activities', 'sequentialActivitiesWorkflow'),
  ]);
}

/** Expected balances of every member the run touched, for the final check. */
const expectedBalances = new Map<string, { points_balance: number; realMember: boolean }>();

function expectChange(memberId: string, change: number, realMember: boolean) {
  const known = expectedBalances.get(memberId);
  expectedBalances.set(memberId, { points_balance: (known?.points_balance ?? 0) + change, realMember });
}

/**
 * After MAX_ATTEMPTS lost races Ledger.append gives up with LedgerContentionError, and the redemption workflow retries
 * its activity. The bench retries the same way, so that an append's latency is the time until it is written, and
 * counts the give-ups. An append that gives up this many times fails the run.
 */
const MAX_GIVE_UPS_PER_APPEND = 5;

async function benchLedger(handle: CountingHandle, ledgerEntries: () => Promise<number>): Promise<Row[]> {
  const ledger = new Ledger(handle.db);
  const { appends, concurrency } = settings;
  let giveUps = 0;
  const append = async (memberId: string, key: string) => {
    for (let call = 1; ; call++) {
      try {
        await ledger.append({ memberId, type: 'EARN', points: EARN_POINTS, idempotencyKey: key });
        expectChange(memberId, EARN_POINTS, false);
        return;
      } catch (error) {
        if (!(error instanceof LedgerContentionError) || call === MAX_GIVE_UPS_PER_APPEND) throw error;
        giveUps++;
      }
    }
  };
  const observe = { stores: { bench: handle }, ledgerEntries, giveUps: () => giveUps };
  const runTag = `${process.pid}-${Date.now()}`;
  return [
    await scenario(
      `ledger: append, own member each, ${concurrency} in flight`,
      appends,
      (index) => append(`bench-ledger-own-${runTag}-${index}`, `bench-ledger-own-${runTag}-${index}`),
      observe,
    ),
    await scenario(
      `ledger: append, one member, ${concurrency} in flight`,
      appends,
      (index) => append(`bench-ledger-one-${runTag}`, `bench-ledger-one-${runTag}-${index}`),
      observe,
    ),
  ];
}

/** The real API on a free port and a real worker with the real activities, as `npm start` runs them. */
async function benchRedemptions(
  config: Config,
  mongo: { fixtures: MongoHandle; api: CountingHandle; worker: CountingHandle },
  temporal: Client,
  teardown: Teardown,
): Promise<{
  rows: Row[];
  apiUrl: string;
  webhooks: { both_answering: WebhookFigures; one_never_answering: WebhookFigures };
}> {
  // Fixtures and checks go over a connection of their own, so that only the API's and the worker's commands count.
  const apiDb = mongo.fixtures.db;
  const ledgerEntries = () => apiDb.collection('ledger').countDocuments({});
  const logger = createLogger(config.logLevel, 'bench');
  // The API as `npm start` serves it, beside its worker (below), over its own connection to the store.
  const apiServer = await composeApi(config, {
    logger,
    services: { mongo: mongo.api, temporal },
    port: 0,
    workerInProcess: true,
  });
  teardown.push(() => apiServer.close());
  const url = apiServer.url;
  const api = apiClient(url, API_KEY);
  const option = await createOption(apiDb, { cost_points: COST_POINTS });
  const newMembers = async (count: number, points: number) => {
    const members = [];
    for (let index = 0; index < count; index++) {
      const member = await createMemberWithPoints(apiDb, points);
      expectChange(member._id, points, true);
      members.push(member);
    }
    return members;
  };
  const { redemptions, concurrency } = settings;
  const immediateMembers = await newMembers(operationsOf(redemptions), POINTS_PER_MEMBER);
  const delayedMembers = await newMembers(operationsOf(redemptions), POINTS_PER_MEMBER);
  const [sharedMember] = await newMembers(1, operationsOf(redemptions) * COST_POINTS);

  let slowAnswers = 0;
  const redeem = async (email: string | undefined, expected: 'completed' | 'awaiting_order') => {
    const delayed = expected === 'awaiting_order' ? { delay_points_deduction: true } : {};
    const body = { customer_email: email!, redemption_option_id: option.id, ...delayed };
    const begin = performance.now();
    const answer = await answered(api.POST('/v1/redemptions', { body }), 201);
    if (performance.now() - begin > DEFAULT_SYNC_WAIT_MS) slowAnswers++;
    return redemptionIn(answer, expected);
  };
  const redeemImmediately = async (email: string | undefined, memberId: string) => {
    const { id } = await redeem(email, 'completed');
    expectChange(memberId, -COST_POINTS, true);
    return id;
  };
  const redeemDelayedThenOrder = async (email: string | undefined, memberId: string, orderId: string) => {
    const held = await redeem(email, 'awaiting_order');
    const order = await answered(
      api.POST('/v1/orders', { body: { order_id: orderId, coupon_code: held.coupon_code!, subtotal: 5000 } }),
      200,
    );
    if (order.redemptions[0]?.status !== 'completed') throw new Error(`not captured: ${JSON.stringify(order)}`);
    expectChange(memberId, -COST_POINTS, true);
    return held.id;
  };

  const observe = {
    stores: { API: mongo.api, worker: mongo.worker },
    ledgerEntries,
    slowAnswers: () => slowAnswers,
  };
  /** Adds the history events of one of the scenario's redemptions, completed and waiting out its refund window. */
  const redemptionScenario = async (name: string, operation: (index: number) => Promise<string>) => {
    let redemptionId = '';
    const row = await scenario(
      name,
      redemptions,
      async (index) => {
        redemptionId = await operation(index);
      },
      observe,
    );
    return { ...row, history_events: await historyEventsOf(temporal, workflowIdOf(redemptionId)) };
  };
  // As worker/main.ts runs them: the webhook deliveries' worker, on its own task queue, next to the redemption worker.
  const worker = await composeWorker(config, { logger, services: { mongo: mongo.worker, temporal } });
  const running = worker.run();
  const stopped = running.then(() => Promise.reject(new Error('The worker stopped during the benchmark.')));
  const { rows, webhooks } = await Promise.race([
    stopped,
    (async () => {
      const immediate = await redemptionScenario(
        `http: immediate redemption, own member each, ${concurrency} in flight`,
        (index) => redeemImmediately(immediateMembers[index]!.email, immediateMembers[index]!._id),
      );
      const delayed = await redemptionScenario(
        `http: delayed redemption + order, own member each, ${concurrency} in flight`,
        (index) =>
          redeemDelayedThenOrder(delayedMembers[index]!.email, delayedMembers[index]!._id, `bench-order-${index}`),
      );
      // No workflow: what an API request whose work is the store's alone costs (a ledger append, as a hold is), the
      // floor under any step of a redemption that ran without Temporal.
      const earnMembers = await newMembers(operationsOf(redemptions), POINTS_PER_MEMBER);
      const earned = await scenario(
        `http: points earned (no workflow), own member each, ${concurrency} in flight`,
        redemptions,
        async (index) => {
          const member = earnMembers[index]!;
          const body = { points: EARN_POINTS, reason: 'visit', idempotency_key: `bench-earn-${index}` };
          await answered(api.POST('/v1/members/{id}/points', { params: { path: { id: member._id } }, body }), 201);
          expectChange(member._id, EARN_POINTS, true);
        },
        observe,
      );
      const oneMember = await redemptionScenario(
        `http: immediate redemption, one member, ${concurrency} in flight`,
        () => redeemImmediately(sharedMember!.email, sharedMember!._id),
      );
      // Last, so that the deliveries left retrying (to the endpoint that never answers) run behind no other scenario.
      // What webhooks cost: two answering endpoints against none. What a dead endpoint costs: the second one never
      // answers, against both answering (the same deliveries, one endpoint dead).
      const answeringMembers = await newMembers(operationsOf(redemptions), POINTS_PER_MEMBER);
      const answeringEndpoints = await benchWebhooks(api, immediate, { second: 'answering' }, () =>
        redemptionScenario(
          `http: immediate redemption, 2 webhook endpoints (both answer 200), own member each, ${concurrency} in flight`,
          (index) => redeemImmediately(answeringMembers[index]!.email, answeringMembers[index]!._id),
        ),
      );
      const hangingMembers = await newMembers(operationsOf(redemptions), POINTS_PER_MEMBER);
      const deadEndpoint = await benchWebhooks(api, answeringEndpoints.row, { second: 'hanging' }, () =>
        redemptionScenario(
          `http: immediate redemption, 2 webhook endpoints (1 never answers), own member each, ${concurrency} in flight`,
          (index) => redeemImmediately(hangingMembers[index]!.email, hangingMembers[index]!._id),
        ),
      );
      return {
        rows: [immediate, delayed, earned, oneMember, answeringEndpoints.row, deadEndpoint.row],
        webhooks: { both_answering: answeringEndpoints.figures, one_never_answering: deadEndpoint.figures },
      };
    })(),
  ]).finally(() => worker.close());
  return { rows, apiUrl: url, webhooks };
}

interface WebhookFigures {
  endpoints: number;
  /** The scenario against its baseline measured earlier in this run: the same redemptions with one endpoint fewer. */
  versus_baseline: { baseline: string; per_second_ratio: number; p50_ratio: number; p95_ratio: number };
  answering_endpoint: {
    events_expected: number;
    events_received: number;
    /** Requests beyond one per event: deliveries repeated although the endpoint answered 200. */
    repeated_deliveries: number;
    /** From the scenario's last answer until the endpoint had every event. */
    seconds_until_all_received: number;
  };
  /** Requests to the endpoint that never answers, each given up after WEBHOOK_TIMEOUT_MS, retries included. */
  hanging_endpoint: { requests: number; timeout_ms: number };
}

/**
 * Registers, through the API, an endpoint that answers 200 at once and a second one that answers too or never does,
 * both for every event; runs the scenario; waits until the answering ones have received each redemption's 3 events
 * exactly; deletes them.
 */
async function benchWebhooks(
  api: ApiClient,
  baseline: Row,
  { second }: { second: 'answering' | 'hanging' },
  run: () => Promise<Row>,
): Promise<{ row: Row; figures: WebhookFigures }> {
  const answering = await answeringReceiver();
  const secondAnswering = await answeringReceiver();
  const hanging = await hangingReceiver();
  try {
    const endpointIds: string[] = [];
    for (const receiver of [answering, second === 'answering' ? secondAnswering : hanging]) {
      const endpoint = await answered(
        api.POST('/v1/webhook-endpoints', { body: { url: receiver.url, events: ['*'] } }),
        201,
      );
      endpointIds.push(endpoint.id);
    }
    await new Promise((resolve) => setTimeout(resolve, ENDPOINTS_CACHE_MS + 100));
    const row = await run();
    const finished = performance.now();
    const expected = operationsOf(settings.redemptions) * IMMEDIATE_EVENTS.length;
    const received = () => new Set(answering.events.map((event) => event.webhookId)).size;
    while (received() < expected && performance.now() - finished < WEBHOOK_DRAIN_DEADLINE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const drained = performance.now();
    for (const id of endpointIds) {
      await answered(api.DELETE('/v1/webhook-endpoints/{id}', { params: { path: { id } } }), 204);
    }
    checkWebhookEvents(answering.events, expected);
    if (second === 'answering') checkWebhookEvents(secondAnswering.events, expected);
    const { per_second_ratio, p50_ratio } = compare(row, baseline);
    return {
      row,
      figures: {
        endpoints: endpointIds.length,
        versus_baseline: {
          baseline: baseline.name,
          per_second_ratio,
          p50_ratio,
          p95_ratio: round(row.p95_ms / baseline.p95_ms, 2),
        },
        answering_endpoint: {
          events_expected: expected,
          events_received: received(),
          repeated_deliveries: answering.events.length - received(),
          seconds_until_all_received: round((drained - finished) / 1000, 1),
        },
        hanging_endpoint: { requests: hanging.requests(), timeout_ms: WEBHOOK_TIMEOUT_MS },
      },
    };
  } finally {
    await answering.close();
    await secondAnswering.close();
    await hanging.close();
  }
}

/** Every redemption of the scenario (warm-up included) sent its pending, redeeming and completed events, once each. */
function checkWebhookEvents(events: ReceivedEvent[], expected: number): void {
  const byRedemption = new Map<string, Map<string, string>>();
  for (const { webhookId, type, redemptionId } of events) {
    const types = byRedemption.get(redemptionId) ?? new Map<string, string>();
    const known = types.get(type);
    if (known !== undefined && known !== webhookId) {
      throw new Error(`redemption ${redemptionId}: two different ${type} events (${known}, ${webhookId})`);
    }
    types.set(type, webhookId);
    byRedemption.set(redemptionId, types);
  }
  const redemptions = expected / IMMEDIATE_EVENTS.length;
  if (byRedemption.size !== redemptions) {
    throw new Error(`the answering endpoint got events of ${byRedemption.size} redemptions; ${redemptions} ran`);
  }
  for (const [redemptionId, types] of byRedemption) {
    const got = [...types.keys()].sort().join(', ');
    if (got !== [...IMMEDIATE_EVENTS].sort().join(', ')) {
      throw new Error(`redemption ${redemptionId}: the answering endpoint got ${got}; expected ${IMMEDIATE_EVENTS}`);
    }
  }
}

/** Every member's balances: the newest entry's running totals, the fold of all entries, the API, and our count. */
async function checkBalances(db: Db, apiUrl: string): Promise<number> {
  const ledger = new Ledger(db);
  const api = apiClient(apiUrl, API_KEY);
  const members = [...expectedBalances.entries()];
  await measure('balance check', members.length, settings.concurrency, async (index) => {
    const [memberId, expected] = members[index]!;
    const fold = await foldLedger(db, memberId);
    const head = await ledger.balances(memberId);
    const seen = [
      ['fold', fold.points_balance, fold.points_held],
      ['head', head.points_balance, head.points_held],
    ] as Array<[string, unknown, unknown]>;
    if (expected.realMember) {
      const answer = await answered(api.GET('/v1/members/{id}', { params: { path: { id: memberId } } }), 200);
      seen.push(['api', answer.points_balance, answer.points_held]);
    }
    for (const [source, balance, held] of seen) {
      if (balance !== expected.points_balance || held !== 0) {
        throw new Error(
          `member ${memberId}: ${source} says balance ${balance}, held ${held}; expected ${expected.points_balance}, 0`,
        );
      }
    }
  });
  return members.length;
}

async function main(): Promise<void> {
  // The SDK's info logs (bundling, worker state changes) would bury the table.
  installTemporalRuntime({ logLevel: 'WARN' });
  const teardown: Teardown = [];
  try {
    const { temporal: temporalServer, mongo: mongoServer, versions } = await startServers('redemptions', teardown);
    console.log(
      `Temporal at ${temporalServer.address}, ${versions.mongo} at ${mongoServer.address}; settings`,
      settings,
    );

    const config = loadConfig({
      API_KEYS: API_KEY,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: `bench-redemptions-${process.pid}`,
      MONGODB_URI: mongoServer.uri,
      FERRETDB_POSTGRESQL_URL: mongoServer.postgresUrl ?? '',
      MONGODB_DB: DB_NAME,
      REDEMPTION_SYNC_WAIT_MS: String(settings.sync_wait_ms),
      WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      RECONCILE_SCHEDULE: 'off',
      POINTS_EXPIRY_INTERVAL_SECONDS: 'off',
      LOG_LEVEL: 'silent',
    });
    // The product's own connection creates the indexes, and serves the fixtures and checks; the API's and the worker's
    // count their commands.
    const apiMongo = await connectMongo(config.mongo);
    teardown.push(() => apiMongo.client.close());
    const apiCounting = await connectCountingCommands(config.mongo.uri);
    teardown.push(() => apiCounting.client.close());
    const workerMongo = await connectCountingCommands(config.mongo.uri);
    teardown.push(() => workerMongo.client.close());
    // The API's Temporal connection as application/wiring.ts makes it.
    const clientConnection = await NativeConnection.connect({ address: config.temporal.address });
    teardown.push(() => clientConnection.close());
    const temporal = new Client({ connection: clientConnection, namespace: NAMESPACE });
    const workerConnection = await NativeConnection.connect({ address: config.temporal.address });
    teardown.push(() => workerConnection.close());

    const [baseline, fourActivities] = await benchBaselines(temporal, workerConnection);
    const ledgerRows = await benchLedger(workerMongo, () => apiMongo.db.collection('ledger').countDocuments({}));
    const redemptions = await benchRedemptions(
      config,
      { fixtures: apiMongo, api: apiCounting, worker: workerMongo },
      temporal,
      teardown,
    );
    const rows = [
      baseline!,
      fourActivities!,
      ...ledgerRows,
      ...redemptions.rows.map((row) => againstActivitiesBaseline(row, fourActivities!)),
    ].map((row) => againstBaseline(row, baseline!));
    printTable(rows);
    console.log('CPU ms per operation, by process (and the bench process by thread):');
    for (const row of rows) {
      const cpu = Object.entries(row.cpu_seconds_per_operation ?? {}).sort(([, a], [, b]) => b - a);
      const total = cpu.reduce((sum, [, seconds]) => sum + seconds, 0);
      const parts = cpu.map(([role, seconds]) => `${role} ${round(seconds * 1000, 1)}`).join(', ');
      console.log(`  ${row.name}: ${round(total * 1000, 1)} (${parts})`);
    }
    const { both_answering: answering, one_never_answering: dead } = redemptions.webhooks;
    const ratios = ({ versus_baseline: versus }: WebhookFigures) =>
      `rate x ${versus.per_second_ratio}, p50 x ${versus.p50_ratio}, p95 x ${versus.p95_ratio}`;
    console.log(
      `2 answering webhook endpoints vs none: ${ratios(answering)}. One of the 2 never answering vs both answering: ` +
        `${ratios(dead)}; the first endpoint got ${answering.answering_endpoint.events_received} and ` +
        `${dead.answering_endpoint.events_received} events (${IMMEDIATE_EVENTS.length} per redemption), all within ` +
        `${dead.answering_endpoint.seconds_until_all_received} s of the last answer; the one that never answers ` +
        `${dead.hanging_endpoint.requests} requests, each given up after ${WEBHOOK_TIMEOUT_MS} ms.`,
    );

    const completed = await apiMongo.db.collection('redemptions').countDocuments({ status: 'completed' });
    const redemptionsRun = 5 * operationsOf(settings.redemptions);
    if (completed !== redemptionsRun) {
      throw new Error(`${completed} redemptions are completed in MongoDB; ${redemptionsRun} were answered 201`);
    }
    const members = await checkBalances(apiMongo.db, redemptions.apiUrl);
    console.log(`Checked: every answer as expected, ${completed} redemptions completed, ${members} balances = fold.`);

    writeResults('redemptions', versions, {
      settings: {
        ...settings,
        default_sync_wait_ms: DEFAULT_SYNC_WAIT_MS,
        cost_points: COST_POINTS,
        warm_up_per_scenario: warmUpCount(settings.redemptions, settings.concurrency),
        webhook_timeout_ms: WEBHOOK_TIMEOUT_MS,
      },
      checks: {
        redemptions_completed: completed,
        balances_equal_to_fold: members,
        webhook_events_per_redemption: IMMEDIATE_EVENTS.length,
      },
      scenarios: rows,
      webhooks: redemptions.webhooks,
    });
  } finally {
    await tearDown(teardown);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
