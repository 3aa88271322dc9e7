/**
 * Reconciliation against real redemptions: a store the product wrote reconciles, and a copy of it corrupted by hand
 * reports exactly what was corrupted, from the CLI (exit code), the report document and the API's metric. The
 * worker's schedule exists once a worker has started, and a triggered run writes its report.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { composeApi } from '../../api/compose';
import { reconcileLedger } from '../../application/reconciliation';
import { stuckLimits } from '../../domain/stuck';
import { stopChild } from '../../scripts/processes';
import { connectMongo, type MongoHandle } from '../../store/connect';
import { ReconciliationReports } from '../../store/reconciliation-reports';
import { ensureReconciliationSchedule, reconciliationScheduleId } from '../../worker/reconciliation-schedule';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { recordHistory } from '../harness/histories';
import { sampleSum, scrape } from '../harness/prometheus';
import { readJson, startTestStack, testLogger, uniqueName, type TestStack } from '../harness/stack';
import { fulfilledByStub, startStubPartner, type StubPartner } from '../harness/stub-partner';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `npm run reconcile` against a database, as an operator would. */
function runCli(database: string) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts'], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH,
      MONGODB_URI: inject('mongoUri'),
      MONGODB_DB: database,
      FERRETDB_POSTGRESQL_URL: inject('postgresUrl'),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, output: run.stdout + run.stderr };
}

/** Copies every collection of `source` into a new database on the same server, with the product's indexes. */
async function copyDatabase(source: Db, name: string): Promise<MongoHandle> {
  const copy = await connectMongo({
    uri: inject('mongoUri'),
    db: name,
    postgresUrl: inject('postgresUrl') || undefined,
  });
  for (const { name: collection } of await source.listCollections().toArray()) {
    const documents = await source.collection(collection).find().toArray();
    if (documents.length > 0) await copy.db.collection(collection).insertMany(documents);
  }
  return copy;
}

describe('ledger reconciliation', () => {
  let stack: TestStack;
  let partner: StubPartner;
  let copy: MongoHandle | undefined;
  /** The redemptions of the run, by what happened to them, each by a member of its own. */
  const made: Record<string, { id: string; memberId: string }> = {};

  const redeem = async (body: Record<string, unknown>) => {
    const res = await stack.api.request('/v1/redemptions', { method: 'POST', json: body });
    return { status: res.status, body: await readJson(res) };
  };
  const statusOf = async (id: string) => (await readJson(await stack.api.request(`/v1/redemptions/${id}`))).status;
  /** The metrics of an API process over another store (a copy). */
  const apiMetricsOver = async (mongo: MongoHandle) => {
    const api = await composeApi(stack.config, {
      logger: testLogger,
      services: { mongo, temporal: stack.client },
      port: 0,
    });
    try {
      return await scrape(`${api.url}/metrics`);
    } finally {
      await api.close();
    }
  };

  beforeAll(async () => {
    partner = await startStubPartner();
    stack = await startTestStack({
      env: fulfilledByStub(partner),
    });
    const db = stack.mongo.db;
    const plain = await createOption(db, { cost_points: 100 });
    const fulfilled = await createOption(db, { cost_points: 150, partner: 'flavours' });
    const memberFor = async (what: string, points = 1_000) => {
      const member = await createMemberWithPoints(db, points);
      return { member, remember: (id: string) => (made[what] = { id, memberId: member._id }) };
    };

    const immediate = await memberFor('immediate');
    const done = await redeem({ customer_email: immediate.member.email, redemption_option_id: plain.id });
    expect(done.body.status).toBe('completed');
    immediate.remember(done.body.id);

    const second = await memberFor('second');
    const another = await redeem({ customer_email: second.member.email, redemption_option_id: fulfilled.id });
    expect(another.body.status).toBe('completed');
    second.remember(another.body.id);

    const ordered = await memberFor('ordered');
    const held = await redeem({
      customer_email: ordered.member.email,
      redemption_option_id: fulfilled.id,
      delay_points_deduction: true,
    });
    expect(held.body.status).toBe('awaiting_order');
    const order = await stack.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: uniqueName('order'), coupon_code: held.body.reward_text },
    });
    expect(order.status).toBe(200);
    ordered.remember(held.body.id);
    for (let wait = 0; (await statusOf(held.body.id)) !== 'completed' && wait < 100; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const cancelled = await memberFor('cancelled');
    const toCancel = await redeem({
      customer_email: cancelled.member.email,
      redemption_option_id: plain.id,
      delay_points_deduction: true,
    });
    const cancel = await stack.api.request(`/v1/redemptions/${toCancel.body.id}/cancel`, { method: 'POST' });
    expect((await readJson(cancel)).status).toBe('cancelled');
    cancelled.remember(toCancel.body.id);

    const compensated = await memberFor('compensated');
    partner.queue({ status: 400, body: { error: 'coupon refused' } });
    const refused = await redeem({ customer_email: compensated.member.email, redemption_option_id: fulfilled.id });
    expect(refused.status).toBe(502);
    compensated.remember((await listIdOf(compensated.member._id))!);

    const poor = await memberFor('rejected', 0);
    const rejected = await redeem({ customer_email: poor.member.email, redemption_option_id: plain.id });
    expect(rejected.status).toBe(422);
    poor.remember((await listIdOf(poor.member._id))!);
  }, 120_000);

  async function listIdOf(memberId: string): Promise<string | undefined> {
    const page = await readJson(await stack.api.request(`/v1/redemptions?member_id=${memberId}`));
    return page.data[0]?.id;
  }

  afterAll(async () => {
    await copy?.db.dropDatabase().catch(() => undefined);
    await copy?.client.close();
    await stack?.close();
    await partner?.close();
  });

  it('finds nothing to report in a store the product wrote, and the CLI exits 0', async () => {
    expect(await statusOf(made.ordered!.id)).toBe('completed');
    expect(await statusOf(made.compensated!.id)).toBe('compensated');
    expect(await statusOf(made.rejected!.id)).toBe('rejected');
    const report = await reconcileLedger(stack.mongo.db, { trigger: 'cli', stuckLimits: stuckLimits(stack.config) });
    expect(report).toMatchObject({
      members_checked: 6,
      redemptions_checked: 6,
      mismatch_count: 0,
      mismatches: [],
      stuck_count: 0,
      stuck: [],
    });

    const cli = runCli(stack.config.mongo.db);
    expect(cli.status, cli.output).toBe(0);
    expect(cli.output).toContain('6 members');
    expect(cli.output).toContain('0 mismatches, 0 redemptions stuck');
    const metrics = await scrape(`${stack.api.url}/metrics`);
    expect(sampleSum(metrics, 'loyalty_reconciliation_mismatches')).toBe(0);
    expect(sampleSum(metrics, 'loyalty_reconciliation_last_run_timestamp_seconds')).toBeGreaterThan(
      report.finished_at.getTime() / 1000 - 1,
    );
  });

  it('reports exactly the corruptions of a copied store: the CLI exits 1, the report and the metric name them', async () => {
    copy = await copyDatabase(stack.mongo.db, uniqueName('corrupt').replace(/-/g, '_'));
    const ledger = copy.db.collection<{ _id: string }>('ledger');
    // A running balance that is not the fold of the entries before it.
    await ledger.updateOne({ _id: `${made.immediate!.memberId}/1` }, { $inc: { balance_after: 7 } });
    // A debit that disappeared: the member's ledger ends before its head, and the redemption has no debit.
    expect((await ledger.deleteOne({ _id: `${made.second!.memberId}/2` })).deletedCount).toBe(1);
    // A redemption recorded as completed that never moved a point.
    await copy.db
      .collection<{ _id: string }>('redemptions')
      .updateOne({ _id: made.rejected!.id }, { $set: { status: 'completed', points: 100 } });
    // Points moved for a redemption that is not in the store.
    await copy.db.collection<{ _id: string }>('redemptions').deleteOne({ _id: made.cancelled!.id });

    const cli = runCli(copy.db.databaseName);
    expect(cli.status, cli.output).toBe(1);
    expect(cli.output).toContain('5 mismatches');

    const latest = await new ReconciliationReports(copy.db).latest();
    const report = (await new ReconciliationReports(copy.db).get(latest!.report_id))!;
    expect(report.trigger).toBe('cli');
    const found = report.mismatches.map(({ kind, id, problems }) => [kind, id, problems.map(({ code }) => code)]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['member', made.immediate!.memberId, ['entry_balances']],
        ['member', made.second!.memberId, ['head_ahead']],
        ['redemption', made.second!.id, ['points_moved']],
        ['redemption', made.rejected!.id, ['points_moved']],
        ['member', made.cancelled!.memberId, ['entry_redemption_unknown']],
      ]),
    );
    expect(report.mismatch_count).toBe(5);

    expect(sampleSum(await apiMetricsOver(copy), 'loyalty_reconciliation_mismatches')).toBe(5);
  });

  it('reports redemptions stuck in a state their workflow should have left, in the report, the CLI and a metric', async () => {
    const stuckCopy = await copyDatabase(stack.mongo.db, uniqueName('stuck').replace(/-/g, '_'));
    try {
      const redemptions = stuckCopy.db.collection<{ _id: string }>('redemptions');
      const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
      // Its coupon expired two hours ago, and its hold is still there.
      await redemptions.updateOne(
        { _id: made.cancelled!.id },
        { $set: { status: 'awaiting_order', expires_at: hoursAgo(2).toISOString(), updated_at: hoursAgo(30) } },
      );
      // Redeeming longer than the partner's deadline and the reconcile limit allow (2 h 2 min with these settings).
      await redemptions.updateOne(
        { _id: made.immediate!.id },
        { $set: { status: 'redeeming', updated_at: hoursAgo(3) } },
      );
      // In review for more than a day; another one for less is fine.
      await redemptions.updateOne(
        { _id: made.second!.id },
        { $set: { status: 'needs_review', updated_at: hoursAgo(25) } },
      );
      await redemptions.updateOne(
        { _id: made.ordered!.id },
        { $set: { status: 'needs_review', updated_at: hoursAgo(2) } },
      );

      const cli = runCli(stuckCopy.db.databaseName);
      expect(cli.status, cli.output).toBe(1);
      expect(cli.output).toContain('3 redemptions stuck');
      const latest = await new ReconciliationReports(stuckCopy.db).latest();
      const report = (await new ReconciliationReports(stuckCopy.db).get(latest!.report_id))!;
      expect(report.stuck_by_reason).toEqual({ order_wait_overdue: 1, redeeming_overdue: 1, review_overdue: 1 });
      expect(report.stuck?.map(({ id, reason }) => [id, reason])).toEqual(
        expect.arrayContaining([
          [made.cancelled!.id, 'order_wait_overdue'],
          [made.immediate!.id, 'redeeming_overdue'],
          [made.second!.id, 'review_overdue'],
        ]),
      );
      const metrics = await apiMetricsOver(stuckCopy);
      for (const reason of ['order_wait_overdue', 'redeeming_overdue', 'review_overdue']) {
        expect(sampleSum(metrics, 'loyalty_reconciliation_stuck_redemptions', { reason }), reason).toBe(1);
      }
    } finally {
      await stuckCopy.db.dropDatabase().catch(() => undefined);
      await stuckCopy.client.close();
    }
  });

  it('a started worker keeps the schedule; a triggered run writes its report; the setting updates or pauses it', async () => {
    const taskQueue = uniqueName('reconcile');
    const scheduleId = reconciliationScheduleId(taskQueue);
    const worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH,
        TEMPORAL_ADDRESS: stack.config.temporal.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        MONGODB_URI: stack.config.mongo.uri,
        MONGODB_DB: stack.config.mongo.db,
        WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
        WORKER_METRICS_ADDRESS: 'off',
        POINTS_EXPIRY_INTERVAL_SECONDS: 'off',
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    const handle = stack.client.schedule.getHandle(scheduleId);
    try {
      await expect
        .poll(() => handle.describe().catch(() => undefined), { timeout: 60_000, interval: 500 })
        .toBeDefined();
      const described = await handle.describe();
      expect(described.state).toMatchObject({ paused: false, note: 'RECONCILE_SCHEDULE=0 3 * * *' });
      expect(described.action).toMatchObject({ workflowType: 'ledgerReconciliationWorkflow', taskQueue });

      await handle.trigger();
      await expect
        .poll(async () => (await handle.describe()).info.recentActions.length, { timeout: 30_000 })
        .toBeGreaterThan(0);
      const [run] = (await handle.describe()).info.recentActions;
      const summary = await stack.client.workflow
        .getHandle(run!.action.workflow.workflowId, run!.action.workflow.firstExecutionRunId)
        .result();
      expect(summary).toMatchObject({ members_checked: 6, redemptions_checked: 6, mismatch_count: 0, stuck_count: 0 });
      await recordHistory(stack.client, 'ledger-reconciliation', run!.action.workflow.workflowId);
      const report = await new ReconciliationReports(stack.mongo.db).get(summary.report_id);
      expect(report).toMatchObject({ trigger: 'schedule', mismatch_count: 0 });

      const config = { ...stack.config, temporal: { ...stack.config.temporal, taskQueue } };
      await ensureReconciliationSchedule(stack.client, { ...config, reconcileSchedule: { every: '6h' } });
      const updated = await handle.describe();
      expect(updated.state.note).toBe('RECONCILE_SCHEDULE=every 6h');
      expect(updated.spec.intervals?.[0]?.every).toBe(6 * 3600 * 1000);
      await ensureReconciliationSchedule(stack.client, { ...config, reconcileSchedule: undefined });
      expect((await handle.describe()).state).toMatchObject({ paused: true, note: 'RECONCILE_SCHEDULE=off' });
    } finally {
      await stopChild(worker);
      await handle.delete().catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
    }
  }, 120_000);
});
