/**
 * The expiry pass: a Temporal Schedule on the worker's task queue, here every second, against the real servers. Points
 * leave at their date as one EXPIRE entry each, once, never points that were spent or are held.
 */
import { ScheduleNotFoundError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPointsExpiryActivities, type ExpiryPassResult } from '../../activities/points-expiry';
import { reconcileLedger } from '../../application/reconciliation';
import { InsufficientPointsError } from '../../domain/ledger';
import { stuckLimits } from '../../domain/stuck';
import { ExpiryDates, minuteOf } from '../../store/expiry-dates';
import { Ledger, type LedgerEntry } from '../../store/ledger';
import { pointsExpiryScheduleId } from '../../worker/points-expiry-schedule';
import { createOption, foldLedger } from '../harness/fixtures';
import { recordHistory } from '../harness/histories';
import {
  readJson,
  startTestStack,
  startTestWorker,
  uniqueName,
  type RunningWorker,
  type TestStack,
} from '../harness/stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('the expiry pass', () => {
  let stack: TestStack;
  let secondWorker: RunningWorker;

  beforeAll(async () => {
    stack = await startTestStack({ env: { POINTS_EXPIRY_INTERVAL_SECONDS: '1' } });
    secondWorker = await startTestWorker(stack.config, stack.mongo);
  });
  afterAll(async () => {
    await stack?.client.schedule
      .getHandle(pointsExpiryScheduleId(stack.config.temporal.taskQueue))
      .delete()
      .catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
    await secondWorker?.stop();
    await stack?.close();
  });

  const request = (path: string, json?: unknown) =>
    stack.api.request(path, json === undefined ? {} : { method: 'POST', json });

  async function earn(id: string, points: number, expires_at?: string) {
    const body = { points, expires_at, reason: 'test', idempotency_key: uniqueName('earn') };
    expect((await request(`/v1/members/${id}/points`, body)).status).toBe(201);
  }

  async function memberEarning(...earns: Array<[number, string?]>): Promise<{ id: string; email: string }> {
    const email = `${uniqueName('member')}@example.com`;
    const { id } = await readJson(await request('/v1/members', { email }));
    for (const [points, expires_at] of earns) await earn(id, points, expires_at);
    return { id, email };
  }

  const member = async (id: string) => readJson(await request(`/v1/members/${id}`));
  const entries = async (id: string) => (await foldLedger(stack.mongo.db, id)).entries as unknown as LedgerEntry[];

  it('takes the unspent rest of an earn out of the balance as one EXPIRE entry, within the interval of its date', async () => {
    const date = inMs(2_000);
    const { id } = await memberEarning([100, date], [40]);
    expect(
      (await request(`/v1/members/${id}/points`, { points: -30, reason: 'spent', idempotency_key: 'a' })).status,
    ).toBe(201);
    expect((await member(id)).points_expiring).toEqual([{ expires_at: date, points: 70 }]);
    await expect.poll(async () => (await member(id)).points_balance, { timeout: 20_000, interval: 200 }).toBe(40);
    // A pass a second here, on a machine that may be busy: well within the minute the default interval promises.
    expect(Date.now() - Date.parse(date)).toBeLessThan(15_000);
    expect(await member(id)).toMatchObject({ points_available: 40, points_expiring: [] });
    await sleep(2_500);
    const expiries = (await entries(id)).filter((entry) => entry.type === 'EXPIRE');
    expect(expiries).toHaveLength(1);
    expect(expiries[0]).toMatchObject({ balance_delta: -70, points_expired: 70, expires_at: date });
    const ledger = await readJson(await request(`/v1/members/${id}/ledger`));
    expect(ledger.data[0]).toMatchObject({ type: 'EXPIRE', points: 70, points_expired: 70, expires_at: date });

    const handle = stack.client.schedule.getHandle(pointsExpiryScheduleId(stack.config.temporal.taskQueue));
    const [run] = (await handle.describe()).info.recentActions;
    await recordHistory(stack.client, 'points-expiry', run!.action.workflow.workflowId);
  });

  it('leaves held points alone while their date passes', async () => {
    const option = await createOption(stack.mongo.db, { cost_points: 100 });
    const date = inMs(1_500);
    const { id, email } = await memberEarning([150, date]);
    const held = await request('/v1/redemptions', {
      customer_email: email,
      redemption_option_id: option.id,
      delay_points_deduction: true,
    });
    expect(held.status).toBe(201);
    await expect.poll(async () => (await member(id)).points_balance, { timeout: 10_000, interval: 200 }).toBe(100);
    await sleep(2_500);
    expect(await member(id)).toMatchObject({ points_balance: 100, points_held: 100, points_available: 0 });
    const redemption = await readJson(held);
    expect((await request(`/v1/redemptions/${redemption.id}/cancel`, {})).status).toBe(200);
    expect(await member(id)).toMatchObject({ points_balance: 0, points_held: 0 });
    const types = (await entries(id)).map((entry) => entry.type);
    expect(types).toEqual(['EARN', 'HOLD', 'EXPIRE', 'RELEASE']);
  });

  it('is exact when expiries race debits on one member from several processes: nothing spent expires, nothing expired is spent, once', async () => {
    const { id } = await memberEarning();
    const date = inMs(1_000);
    await earn(id, 1_000, date);
    await sleep(Date.parse(date) - Date.now() + 50);
    const writers = Array.from({ length: 5 }, () => new Ledger(stack.mongo.db));
    const debits = Array.from({ length: 20 }, (_, index) =>
      writers[index % writers.length]!.append({
        memberId: id,
        type: 'DEBIT',
        points: 100,
        idempotencyKey: `race:${id}:${index}`,
      }),
    );
    const expiries = writers.map((writer) => writer.expire(id, date));
    const [spent, expired] = await Promise.all([Promise.allSettled(debits), Promise.all(expiries)]);
    for (const result of spent.filter((each) => each.status === 'rejected')) {
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(InsufficientPointsError);
    }
    const debited = spent.filter((each) => each.status === 'fulfilled').length;
    const ledger = await entries(id);
    const expire = ledger.filter((entry) => entry.type === 'EXPIRE');
    // Once, or not at all when the debits spent every point first; each expiry answers that one entry, or nothing.
    expect(expire.length).toBeLessThanOrEqual(1);
    expect(expired.every((entry) => entry === null || entry._id === expire[0]?._id)).toBe(true);
    expect(debited * 100 + (expire[0]?.points_expired ?? 0)).toBe(1_000);
    if (expire[0]) expect(ledger.slice(expire[0].seq).every((entry) => entry.type !== 'DEBIT')).toBe(true);
    const fold = await foldLedger(stack.mongo.db, id);
    expect(await new Ledger(stack.mongo.db).balances(id)).toEqual({
      points_balance: fold.points_balance,
      points_held: fold.points_held,
      points_available: fold.points_available,
    });
    expect(fold.points_balance).toBe(0);
  });

  it('races redemptions over HTTP on two workers against the pass: the balance stays the fold of the ledger', async () => {
    const option = await createOption(stack.mongo.db, { cost_points: 100 });
    const date = inMs(1_500);
    const { id, email } = await memberEarning([600, date], [200]);
    const redeem = () =>
      request('/v1/redemptions', { customer_email: email, redemption_option_id: option.id }).then(
        (answer) => answer.status,
      );
    const early = await Promise.all(Array.from({ length: 3 }, redeem));
    await sleep(Math.max(0, Date.parse(date) - Date.now() - 200));
    const racing = await Promise.all(Array.from({ length: 10 }, redeem));
    // The pass has dealt with the date once it forgets it: expired what was left, or found it all spent.
    const dates = new ExpiryDates(stack.mongo.db);
    await expect
      .poll(async () => (await dates.inMinute(minuteOf(date))).some((each) => each.member_id === id), {
        timeout: 10_000,
      })
      .toBe(false);
    const statuses = [...early, ...racing];
    expect(statuses.every((status) => status === 201 || status === 422)).toBe(true);
    const ledger = await entries(id);
    const debited = ledger.filter((entry) => entry.type === 'DEBIT').length;
    const expired = ledger.filter((entry) => entry.type === 'EXPIRE');
    expect(expired.length).toBeLessThanOrEqual(1);
    expect(statuses.filter((status) => status === 201)).toHaveLength(debited);
    const pointsExpired = expired[0]?.points_expired ?? 0;
    expect(debited * 100 + pointsExpired + (await member(id)).points_balance).toBe(800);
    // Nothing of the date is left: every point of it was spent or expired, none of them both.
    expect((await new Ledger(stack.mongo.db).pointsOf(id)).schedule.free.map((lot) => lot.expires_at)).not.toContain(
      date,
    );
    const fold = await foldLedger(stack.mongo.db, id);
    expect(await member(id)).toMatchObject({
      points_balance: fold.points_balance,
      points_available: fold.points_available,
    });
  });

  it('leaves ledgers that reconciliation re-folds, EXPIRE entries and expired releases included, without a mismatch', async () => {
    const report = await reconcileLedger(stack.mongo.db, { trigger: 'cli', stuckLimits: stuckLimits(stack.config) });
    expect(report.members_checked).toBeGreaterThanOrEqual(4);
    expect(report.mismatches).toEqual([]);
    expect(report.mismatch_count).toBe(0);
  });

  // Regression (chaos): a pass whose worker was killed under it waited out its 10-minute start-to-close timeout.
  it('beats after each minute it sweeps, so that a pass whose worker died is run again within its heartbeat timeout', async () => {
    const environment = new MockActivityEnvironment();
    let beats = 0;
    environment.on('heartbeat', () => beats++);
    // A new store: its first pass sweeps the day before now, minute by minute.
    const db = stack.mongo.client.db(uniqueName('expiry_beats'));
    try {
      const { expireDuePoints } = createPointsExpiryActivities(db);
      const pass = (await environment.run(expireDuePoints)) as ExpiryPassResult;
      expect(pass.caught_up).toBe(true);
      expect(beats).toBeGreaterThanOrEqual(24 * 60);
    } finally {
      await db.dropDatabase();
    }
  }, 60_000);
});
