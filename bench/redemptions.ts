/**
 * What a redemption costs on the embedded stack, against an empty Temporal workflow and one of 4 sequential no-op
 * activities measured in the same run: ledger appends with and without optimistic-concurrency contention, and
 * immediate and delayed redemptions through the real API and a real worker, on their own members and all on one
 * member, with the history events of one redemption and the worker's store round trips per redemption. Ends by
 * checking every balance against the fold of its ledger, and fails if any answer or balance is not what the product
 * promises.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MongoClient, type Db } from 'mongodb';
import { createActivities } from '../activities';
import { workflowIdOf } from '../application/redemption-workflows';
import { closeServer, listen } from '../api/server';
import { loadConfig, type Config } from '../config/env';
import { createLogger } from '../config/logger';
import { connectMongo } from '../store/connect';
import { Ledger, LedgerContentionError } from '../store/ledger';
import { createMemberWithPoints, createOption, foldLedger } from '../test/harness/fixtures';
import { createWorker } from '../worker/create-worker';
import { installWorkerRuntime } from '../worker/runtime';
import * as benchActivities from './activities';
import { apiClient, expectField, type Answer } from './api-client';
import { round } from './latency';
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
  client.on('commandStarted', (event) => {
    commands++;
    if (event.commandName === 'insert' && event.command.insert === 'ledger') ledgerInserts++;
  });
  return { client, db: client.db(DB_NAME), commands: () => commands, ledgerInserts: () => ledgerInserts };
}
type CountingHandle = Awaited<ReturnType<typeof connectCountingCommands>>;

interface Observed {
  store: CountingHandle;
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
  if (!observe) return measureAfterWarmUp(name, count, concurrency, operation);
  const { store, ledgerEntries, giveUps, slowAnswers } = observe;
  const counts = async () => ({
    commands: store.commands(),
    inserts: store.ledgerInserts(),
    entries: await ledgerEntries(),
    giveUps: giveUps?.() ?? 0,
    slowAnswers: slowAnswers?.() ?? 0,
  });
  let before = await counts();
  const summary = await measureAfterWarmUp(name, count, concurrency, operation, async () => {
    before = await counts();
  });
  const after = await counts();
  const written = after.entries - before.entries;
  return {
    ...summary,
    store_round_trips: round((after.commands - before.commands) / count, 2),
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
  const observe = { store: handle, ledgerEntries, giveUps: () => giveUps };
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
  apiDb: Db,
  temporal: Client,
  connection: NativeConnection,
  worker: CountingHandle,
  teardown: Teardown,
): Promise<{ rows: Row[]; apiUrl: string }> {
  const ledgerEntries = () => apiDb.collection('ledger').countDocuments({});
  const logger = createLogger(config.logLevel, 'bench');
  const { server, url } = await listen({ config, db: apiDb, temporal, logger }, 0);
  teardown.push(() => closeServer(server));
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
  const redeem = async (body: Record<string, unknown>) => {
    const begin = performance.now();
    const answer = await api('/v1/redemptions', 201, { redemption_option_id: option.id, ...body });
    if (performance.now() - begin > DEFAULT_SYNC_WAIT_MS) slowAnswers++;
    return answer;
  };
  const redeemImmediately = async (email: string | undefined, memberId: string) => {
    const answer = await redeem({ customer_email: email });
    expectField(answer, 'status', 'completed');
    expectChange(memberId, -COST_POINTS, true);
    return answer.id as string;
  };
  const redeemDelayedThenOrder = async (email: string | undefined, memberId: string, orderId: string) => {
    const held = await redeem({ customer_email: email, delay_points_deduction: true });
    expectField(held, 'status', 'awaiting_order');
    const order = await api('/v1/orders', 200, { order_id: orderId, coupon_code: held.coupon_code, subtotal: 5000 });
    const [captured] = order.redemptions as Answer[];
    expectField(captured ?? {}, 'status', 'completed');
    expectChange(memberId, -COST_POINTS, true);
    return held.id as string;
  };

  const observe = { store: worker, ledgerEntries, slowAnswers: () => slowAnswers };
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
  const redemptionWorker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({ db: worker.db, config, logger, temporal }),
  });
  const rows = await redemptionWorker.runUntil(async () => [
    await redemptionScenario(`http: immediate redemption, own member each, ${concurrency} in flight`, (index) =>
      redeemImmediately(immediateMembers[index]!.email, immediateMembers[index]!._id),
    ),
    await redemptionScenario(`http: delayed redemption + order, own member each, ${concurrency} in flight`, (index) =>
      redeemDelayedThenOrder(delayedMembers[index]!.email, delayedMembers[index]!._id, `bench-order-${index}`),
    ),
    await redemptionScenario(`http: immediate redemption, one member, ${concurrency} in flight`, () =>
      redeemImmediately(sharedMember!.email, sharedMember!._id),
    ),
  ]);
  return { rows, apiUrl: url };
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
      const answer = await api(`/v1/members/${memberId}`, 200);
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
  installWorkerRuntime({ logLevel: 'WARN' });
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
      LOG_LEVEL: 'silent',
    });
    // The API's connection is the product's own (it also creates the indexes); the worker's counts its commands.
    const apiMongo = await connectMongo(config.mongo);
    teardown.push(() => apiMongo.client.close());
    const workerMongo = await connectCountingCommands(config.mongo.uri);
    teardown.push(() => workerMongo.client.close());
    const clientConnection = await Connection.connect({ address: config.temporal.address });
    teardown.push(() => clientConnection.close());
    const temporal = new Client({ connection: clientConnection, namespace: NAMESPACE });
    const workerConnection = await NativeConnection.connect({ address: config.temporal.address });
    teardown.push(() => workerConnection.close());

    const [baseline, fourActivities] = await benchBaselines(temporal, workerConnection);
    const ledgerRows = await benchLedger(workerMongo, () => apiMongo.db.collection('ledger').countDocuments({}));
    const redemptions = await benchRedemptions(config, apiMongo.db, temporal, workerConnection, workerMongo, teardown);
    const rows = [
      baseline!,
      fourActivities!,
      ...ledgerRows,
      ...redemptions.rows.map((row) => againstActivitiesBaseline(row, fourActivities!)),
    ].map((row) => againstBaseline(row, baseline!));
    printTable(rows);

    const completed = await apiMongo.db.collection('redemptions').countDocuments({ status: 'completed' });
    const redemptionsRun = 3 * operationsOf(settings.redemptions);
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
      },
      checks: { redemptions_completed: completed, balances_equal_to_fold: members },
      scenarios: rows,
    });
  } finally {
    await tearDown(teardown);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
