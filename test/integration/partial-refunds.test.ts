import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersWorkflowIdOf } from '../../application/redemption-ids';
import type { Member } from '../../store/members';
import { recordHistory } from '../harness/histories';
import { createMemberWithPoints, createOption, foldLedger } from '../harness/fixtures';
import { readJson, startTestStack, uniqueName, type TestStack } from '../harness/stack';

describe('partial order cancellation', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const orderLevel = { name: 'SAR 10 off', type: 'discount_amount', discount: 1000, item_plu: undefined };

  /** Delayed coupons of the member for the options given, used by one new order. */
  async function orderWith(
    member: Member,
    options: Array<Record<string, unknown>>,
    order: Record<string, unknown> = { subtotal: 10_000 },
  ) {
    const redemptions = [];
    for (const input of options) {
      const { id: optionId } = await createOption(stack.mongo.db, input);
      const res = await stack.api.request('/v1/redemptions', {
        method: 'POST',
        json: { customer_email: member.email, redemption_option_id: optionId, delay_points_deduction: true },
      });
      expect(res.status).toBe(201);
      redemptions.push(await readJson(res));
    }
    const orderId = uniqueName('order');
    const res = await stack.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: orderId, coupon_codes: redemptions.map((r) => r.coupon_code), ...order },
    });
    expect(res.status).toBe(200);
    expect((await readJson(res)).redemptions.map((r: { status: string }) => r.status)).toEqual(
      redemptions.map(() => 'completed'),
    );
    return { orderId, redemptions };
  }

  /** A part of the order goes with a new Idempotency-Key unless one is given (null: none at all). */
  const cancel = (orderId: string, json?: unknown, idempotencyKey?: string | null) => {
    const key = idempotencyKey === undefined && json !== undefined ? uniqueName('cancel') : idempotencyKey;
    return stack.api.request(`/v1/orders/${orderId}/cancel`, {
      method: 'POST',
      ...(json !== undefined ? { json } : {}),
      ...(key ? { headers: { 'Idempotency-Key': key } } : {}),
    });
  };

  async function cancelled(orderId: string, json?: unknown, idempotencyKey?: string | null) {
    const res = await cancel(orderId, json, idempotencyKey);
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body;
  }

  const memberBalances = async (member: Member) => {
    const { points_balance, points_held, points_available } = await readJson(
      await stack.api.request(`/v1/members/${member._id}`),
    );
    return { points_balance, points_held, points_available };
  };
  const redemption = async (id: string) => readJson(await stack.api.request(`/v1/redemptions/${id}`));
  const refundsOf = async (member: Member) =>
    (await readJson(await stack.api.request(`/v1/members/${member._id}/ledger`))).data
      .filter((entry: { type: string }) => entry.type === 'REFUND')
      .map((entry: { points: number }) => entry.points)
      .reverse();

  it('refunds an order-level reward in proportion to the amount cancelled, never more than was captured', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const { orderId, redemptions } = await orderWith(member, [{ ...orderLevel, cost_points: 400 }]);
    const [coupon] = redemptions;
    expect(await memberBalances(member)).toEqual({ points_balance: 600, points_held: 0, points_available: 600 });

    expect(await cancelled(orderId, { amount: 2_500 })).toEqual({
      order_id: orderId,
      redemptions: [{ id: coupon.id, status: 'completed' }],
      refunds: [{ id: coupon.id, points: 100 }],
    });
    expect(await memberBalances(member)).toEqual({ points_balance: 700, points_held: 0, points_available: 700 });
    expect(await redemption(coupon.id)).toMatchObject({ status: 'completed', points: 400, points_refunded: 100 });

    expect((await cancelled(orderId, { amount: 2_500 })).refunds).toEqual([{ id: coupon.id, points: 100 }]);
    expect(await memberBalances(member)).toMatchObject({ points_balance: 800 });

    const rest = await cancelled(orderId, { amount: 99_999 });
    expect(rest.refunds).toEqual([{ id: coupon.id, points: 200 }]);
    expect(rest.redemptions).toEqual([{ id: coupon.id, status: 'refunded' }]);
    expect(await redemption(coupon.id)).toMatchObject({ status: 'refunded', points_refunded: 400 });
    await recordHistory(stack.client, 'order-partly-cancelled', ordersWorkflowIdOf(coupon.id));

    // Nothing is left to give back, by amount or as a whole.
    expect((await cancelled(orderId, { amount: 100 })).refunds).toEqual([]);
    expect((await cancelled(orderId)).refunds).toEqual([]);
    expect(await refundsOf(member)).toEqual([100, 100, 200]);
    expect(await memberBalances(member)).toEqual({ points_balance: 1_000, points_held: 0, points_available: 1_000 });
    expect(await foldLedger(stack.mongo.db, member._id)).toMatchObject({ points_balance: 1_000, points_held: 0 });

    const events = (await redemption(coupon.id)).events.filter(
      (event: { type: string }) => event.type === 'order_partly_cancelled',
    );
    expect(events.map((event: { data: { points: number } }) => event.data.points)).toEqual([100, 100, 200]);
  });

  it('refunds the item reward of the cancelled item only, one reward per unit', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const coffee = { name: 'Free coffee', type: 'free_item', cost_points: 100, item_plu: 'COF-01' };
    const { orderId, redemptions } = await orderWith(member, [
      coffee,
      { name: 'Free tea', type: 'free_item', cost_points: 50, item_plu: 'TEA-01' },
      { ...orderLevel, cost_points: 200 },
      coffee,
    ]);
    const [firstCoffee, tea, discount, secondCoffee] = redemptions;
    expect(await memberBalances(member)).toMatchObject({ points_balance: 550 });

    const one = await cancelled(orderId, { items: [{ plu: 'COF-01', quantity: 1 }] });
    expect(one.refunds).toEqual([{ id: firstCoffee.id, points: 100 }]);
    expect(one.redemptions).toEqual([
      { id: firstCoffee.id, status: 'refunded' },
      { id: tea.id, status: 'completed' },
      { id: discount.id, status: 'completed' },
      { id: secondCoffee.id, status: 'completed' },
    ]);
    expect(await memberBalances(member)).toMatchObject({ points_balance: 650 });

    // More units than rewards left: the one left is refunded, and then nothing more.
    expect((await cancelled(orderId, { items: [{ plu: 'COF-01', quantity: 5 }] })).refunds).toEqual([
      { id: secondCoffee.id, points: 100 },
    ]);
    expect((await cancelled(orderId, { items: [{ plu: 'COF-01', quantity: 1 }] })).refunds).toEqual([]);
    expect((await cancelled(orderId, { items: [{ plu: 'NO-REWARD', quantity: 1 }] })).refunds).toEqual([]);
    expect(await memberBalances(member)).toMatchObject({ points_balance: 750 });
    expect([(await redemption(tea.id)).status, (await redemption(discount.id)).status]).toEqual([
      'completed',
      'completed',
    ]);

    // An amount refunds the order-level reward only; the whole order then refunds what is left.
    expect((await cancelled(orderId, { amount: 5_000 })).refunds).toEqual([{ id: discount.id, points: 100 }]);
    expect((await cancelled(orderId)).refunds).toEqual([
      { id: tea.id, points: 50 },
      { id: discount.id, points: 100 },
    ]);
    expect(await memberBalances(member)).toEqual({ points_balance: 1_000, points_held: 0, points_available: 1_000 });
    expect(await foldLedger(stack.mongo.db, member._id)).toMatchObject({ points_balance: 1_000 });
  });

  it('refunds two different rewards for two cancellations of one unit each sent at once', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const coffee = { name: 'Free coffee', type: 'free_item', cost_points: 100, item_plu: 'COF-02' };
    const { orderId, redemptions } = await orderWith(member, [coffee, coffee, coffee]);
    const answers = await Promise.all([
      cancelled(orderId, { items: [{ plu: 'COF-02', quantity: 1 }] }),
      cancelled(orderId, { items: [{ plu: 'COF-02', quantity: 1 }] }),
    ]);
    const refunded = answers.flatMap((answer) => answer.refunds.map((refund: { id: string }) => refund.id));
    expect(refunded).toHaveLength(2);
    expect(new Set(refunded).size).toBe(2);
    expect(await memberBalances(member)).toMatchObject({ points_balance: 900 });
    const statuses = await Promise.all(redemptions.map(async (r) => (await redemption(r.id)).status));
    expect(statuses.filter((status) => status === 'refunded')).toHaveLength(2);
  });

  it('refunds nothing more for a cancellation resent with the same Idempotency-Key', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const { orderId, redemptions } = await orderWith(member, [{ ...orderLevel, cost_points: 400 }]);
    const [coupon] = redemptions;
    const key = uniqueName('cancel');

    const first = await cancelled(orderId, { amount: 2_500 }, key);
    expect(first.refunds).toEqual([{ id: coupon.id, points: 100 }]);
    // The same answer again, with no second refund.
    expect(await cancelled(orderId, { amount: 2_500 }, key)).toEqual(first);
    expect(await refundsOf(member)).toEqual([100]);
    expect(await memberBalances(member)).toMatchObject({ points_balance: 700 });
    // The same key with another part is refused, and refunds nothing.
    const reused = await cancel(orderId, { amount: 1_000 }, key);
    expect(reused.status).toBe(409);
    expect((await readJson(reused)).error.code).toBe('idempotency_key_reused');
    expect(await refundsOf(member)).toEqual([100]);

    // Another key is another cancellation.
    expect((await cancelled(orderId, { amount: 2_500 }, uniqueName('cancel'))).refunds).toEqual([
      { id: coupon.id, points: 100 },
    ]);
    expect(await memberBalances(member)).toMatchObject({ points_balance: 800 });

    const items = await orderWith(member, [
      { name: 'Free coffee', type: 'free_item', cost_points: 100, item_plu: 'COF-03' },
      { name: 'Free coffee', type: 'free_item', cost_points: 100, item_plu: 'COF-03' },
    ]);
    const itemKey = uniqueName('cancel');
    const once = await cancelled(items.orderId, { items: [{ plu: 'COF-03', quantity: 1 }] }, itemKey);
    expect(await cancelled(items.orderId, { items: [{ plu: 'COF-03', quantity: 1 }] }, itemKey)).toEqual(once);
    expect((await cancelled(items.orderId)).redemptions.map((r: { status: string }) => r.status)).toEqual([
      'refunded',
      'refunded',
    ]);
    expect(await refundsOf(member)).toEqual([100, 100, 100, 100]);
  });

  it('refuses part of an order without an Idempotency-Key with 400, refunding nothing', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const { orderId, redemptions } = await orderWith(member, [
      { ...orderLevel, cost_points: 400 },
      { name: 'Free coffee', type: 'free_item', cost_points: 100, item_plu: 'COF-09' },
    ]);
    for (const part of [{ amount: 2_500 }, { items: [{ plu: 'COF-09', quantity: 1 }] }]) {
      const res = await cancel(orderId, part, null);
      const answer = await readJson(res);
      expect(res.status, JSON.stringify(part)).toBe(400);
      expect(answer.error.code).toBe('invalid_request');
      expect(answer.error.details).toEqual([{ path: 'Idempotency-Key', message: expect.any(String) }]);
    }
    expect(await refundsOf(member)).toEqual([]);
    expect(await redemption(redemptions[0].id)).toMatchObject({ status: 'completed', points_refunded: 0 });
  });

  it('answers 409 to an Idempotency-Key sent with a whole cancel after a partial one, and the reverse', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const first = await orderWith(member, [{ ...orderLevel, cost_points: 400 }]);
    const key = uniqueName('cancel');
    expect((await cancelled(first.orderId, { amount: 2_500 }, key)).refunds).toEqual([
      { id: first.redemptions[0].id, points: 100 },
    ]);
    const whole = await cancel(first.orderId, undefined, key);
    expect(whole.status).toBe(409);
    expect((await readJson(whole)).error.code).toBe('idempotency_key_reused');
    expect(await redemption(first.redemptions[0].id)).toMatchObject({ status: 'completed', points_refunded: 100 });

    const second = await orderWith(member, [{ ...orderLevel, cost_points: 200 }]);
    const wholeKey = uniqueName('cancel');
    expect((await cancelled(second.orderId, undefined, wholeKey)).refunds).toEqual([
      { id: second.redemptions[0].id, points: 200 },
    ]);
    // The same whole cancel again is a resend; a part under its key is another request.
    expect((await cancelled(second.orderId, undefined, wholeKey)).refunds).toEqual([]);
    const part = await cancel(second.orderId, { amount: 100 }, wholeKey);
    expect(part.status).toBe(409);
    expect((await readJson(part)).error.code).toBe('idempotency_key_reused');
    expect(await refundsOf(member)).toEqual([100, 200]);
  });

  it('refunds the rest of the order on a whole-order cancel after a partial one', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const { orderId, redemptions } = await orderWith(member, [{ ...orderLevel, cost_points: 300 }]);
    expect((await cancelled(orderId, { amount: 1_000 })).refunds).toEqual([{ id: redemptions[0].id, points: 30 }]);
    const whole = await cancelled(orderId);
    expect(whole.redemptions).toEqual([{ id: redemptions[0].id, status: 'refunded' }]);
    expect(whole.refunds).toEqual([{ id: redemptions[0].id, points: 270 }]);
    expect(await redemption(redemptions[0].id)).toMatchObject({ status: 'refunded', points_refunded: 300 });
    expect(await memberBalances(member)).toMatchObject({ points_balance: 1_000 });
  });

  it('refuses an amount for an order whose subtotal is unknown, and bad bodies, changing nothing', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const { orderId, redemptions } = await orderWith(member, [{ ...orderLevel, cost_points: 400 }], {});

    const noSubtotal = await cancel(orderId, { amount: 100 });
    expect(noSubtotal.status).toBe(422);
    expect((await readJson(noSubtotal)).error.code).toBe('order_subtotal_unknown');
    // Items name no order-level reward: nothing to refund, and that is an answer.
    expect((await cancelled(orderId, { items: [{ plu: 'COF-01', quantity: 1 }] })).refunds).toEqual([]);

    for (const body of [
      { items: [{ plu: 'COF-01', quantity: 1 }], amount: 100 },
      { items: [{ plu: 'COF-01', quantity: 0 }] },
      { items: [] },
      { items: [{ plu: '', quantity: 1 }] },
      { items: [{ plu: 'COF-01' }] },
      { amount: -5 },
      { amount: 0 },
      { amount: 1.5 },
      { amount: '100' },
      { reason: 'changed my mind' },
    ]) {
      const res = await cancel(orderId, body);
      const answer = await readJson(res);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(answer.error.details.length, JSON.stringify(body)).toBeGreaterThan(0);
    }
    const unknownOrder = await cancel(uniqueName('order'), { amount: 100 });
    expect(unknownOrder.status).toBe(404);
    expect(await memberBalances(member)).toMatchObject({ points_balance: 600 });
    expect(await redemption(redemptions[0].id)).toMatchObject({ status: 'completed', points_refunded: 0 });
  });
});
