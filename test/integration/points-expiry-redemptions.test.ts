/** Held points and refunds of points that expire, through real redemptions over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOption, foldLedger } from '../harness/fixtures';
import { readJson, startTestStack, uniqueName, type TestStack } from '../harness/stack';

const JAN = '2030-01-01T00:00:00.000Z';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('held and refunded points that expire, through redemptions over HTTP', () => {
  let stack: TestStack;
  let optionId: number;

  beforeAll(async () => {
    stack = await startTestStack();
    optionId = (await createOption(stack.mongo.db, { cost_points: 100 })).id;
  });
  afterAll(() => stack?.close());

  const request = (path: string, json?: unknown) =>
    stack.api.request(path, json === undefined ? {} : { method: 'POST', json });

  async function memberEarning(...earns: Array<[number, string?]>): Promise<{ id: string; email: string }> {
    const email = `${uniqueName('member')}@example.com`;
    const { id } = await readJson(await request('/v1/members', { email }));
    for (const [points, expires_at] of earns) {
      const res = await request(`/v1/members/${id}/points`, {
        points,
        expires_at,
        reason: 'test',
        idempotency_key: uniqueName('earn'),
      });
      expect(res.status).toBe(201);
    }
    return { id, email };
  }

  async function redeem(email: string, delayed: boolean) {
    const res = await request('/v1/redemptions', {
      customer_email: email,
      redemption_option_id: optionId,
      delay_points_deduction: delayed,
    });
    expect(res.status).toBe(201);
    return readJson(res);
  }

  const member = async (id: string) => readJson(await request(`/v1/members/${id}`));
  const entriesOf = async (id: string, type: string) =>
    (await foldLedger(stack.mongo.db, id)).entries.filter((entry) => entry.type === type);

  it('keeps held points while their date passes, and expires them when the hold is released after it', async () => {
    const soon = new Date(Date.now() + 2_000).toISOString();
    const { id, email } = await memberEarning([100, soon], [50]);
    const redemption = await redeem(email, true);
    expect(await member(id)).toMatchObject({ points_held: 100, points_available: 50, points_expiring: [] });
    await sleep(2_500);
    expect(await member(id)).toMatchObject({ points_balance: 150, points_held: 100 });

    const cancelled = await request(`/v1/redemptions/${redemption.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(await member(id)).toMatchObject({ points_balance: 50, points_held: 0, points_available: 50 });
    const [release] = await entriesOf(id, 'RELEASE');
    expect(release).toMatchObject({ held_delta: -100, balance_delta: -100, points_expired: 100 });
    const ledger = await readJson(await request(`/v1/members/${id}/ledger`));
    expect(ledger.data[0]).toMatchObject({ type: 'RELEASE', points: 100, points_expired: 100 });
  });

  it('gives back a refund’s points whose date has passed as already expired, and the rest with their dates', async () => {
    const soon = new Date(Date.now() + 2_000).toISOString();
    const { id, email } = await memberEarning([60, soon], [30, JAN], [100]);
    const redemption = await redeem(email, true);
    const orderId = uniqueName('order');
    const captured = await request('/v1/orders', { order_id: orderId, coupon_code: redemption.coupon_code });
    expect(captured.status).toBe(200);
    await expect.poll(async () => (await member(id)).points_balance, { timeout: 10_000 }).toBe(90);
    expect((await member(id)).points_expiring).toEqual([]);
    await sleep(2_500);

    const cancelled = await request(`/v1/orders/${orderId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    await expect.poll(async () => (await entriesOf(id, 'REFUND')).length, { timeout: 10_000 }).toBe(1);
    const [refund] = await entriesOf(id, 'REFUND');
    // The hold took 60 of the passed date, 30 of January's and 10 never-expiring; the refund gives all 100 back.
    expect(refund).toMatchObject({ balance_delta: 40, points_expired: 60 });
    expect(await member(id)).toMatchObject({
      points_balance: 130,
      points_available: 130,
      points_expiring: [{ expires_at: JAN, points: 30 }],
    });
  });

  it('gives an immediate redemption’s refunded points back with the dates they had', async () => {
    const { id, email } = await memberEarning([100, JAN], [20]);
    const redemption = await redeem(email, false);
    expect((await member(id)).points_expiring).toEqual([]);
    const orderId = uniqueName('order');
    expect((await request('/v1/orders', { order_id: orderId, coupon_code: redemption.coupon_code })).status).toBe(200);
    expect((await request(`/v1/orders/${orderId}/cancel`, {})).status).toBe(200);
    await expect
      .poll(async () => (await member(id)).points_expiring, { timeout: 10_000 })
      .toEqual([{ expires_at: JAN, points: 100 }]);
    expect(await member(id)).toMatchObject({ points_balance: 120 });
  });
});
