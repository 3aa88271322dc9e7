import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalogue } from '../../application/catalogue';
import { OrderDesk } from '../../application/orders';
import { RedemptionWorkflows } from '../../application/redemption-workflows';
import { ordersWorkflowIdOf, workflowIdOf } from '../../application/redemption-ids';
import { Ledger } from '../../store/ledger';
import { createMemberWithPoints, createOption, foldLedger } from '../harness/fixtures';
import { recordHistory } from '../harness/histories';
import { readJson, startTestStack, testLogger, type TestStack } from '../harness/stack';
import { startStubPartner, type StubPartner } from '../harness/stub-partner';

describe('orders with several coupons', () => {
  let stack: TestStack;

  let flavours: StubPartner;

  beforeAll(async () => {
    flavours = await startStubPartner();
    stack = await startTestStack({ env: { FLAVOURS_REDEEM_URL: flavours.redeemUrl } });
  });
  afterAll(async () => {
    await stack?.close();
    await flavours?.close();
  });

  const deps = () => {
    const { config, client: temporal } = stack;
    const { db } = stack.mongo;
    return { config, db, temporal, logger: testLogger, catalogue: new Catalogue({ db, config }) };
  };
  const balances = (memberId: string) => new Ledger(stack.mongo.db).balances(memberId);
  const order = (json: Record<string, unknown>) => stack.api.request('/v1/orders', { method: 'POST', json });
  const statusOf = async (id: string) => (await readJson(await stack.api.request(`/v1/redemptions/${id}`))).status;

  async function heldCoupons(count: number, option: Record<string, unknown> = {}) {
    const member = await createMemberWithPoints(stack.mongo.db, Math.max(1_000, count * 100));
    const { id: optionId } = await createOption(stack.mongo.db, option);
    const redemptions = [];
    for (let index = 0; index < count; index++) {
      const res = await stack.api.request('/v1/redemptions', {
        method: 'POST',
        json: { customer_email: member.email, redemption_option_id: optionId, delay_points_deduction: true },
      });
      expect(res.status).toBe(201);
      redemptions.push(await readJson(res));
    }
    return { member, redemptions };
  }

  // Regression (chaos): the steps of a workflow task that was then lost had captured the hold in the store, so a
  // resent order took the store's word that it was captured, sent nothing to the workflow, and the workflow waited for
  // its order for the coupon's whole life.
  it('sends a resent order to the workflow even when the store says the order captured the coupon already', async () => {
    const { member, redemptions } = await heldCoupons(1);
    const [held] = redemptions;
    await stack.mongo.db
      .collection<{ _id: string }>('redemptions')
      .updateOne({ _id: held.id }, { $set: { order_id: 'store-ahead', status: 'redeeming' } });
    const res = await order({ order_id: 'store-ahead', coupon_code: held.coupon_code });
    expect(res.status).toBe(200);
    expect((await readJson(res)).redemptions).toEqual([{ id: held.id, status: 'completed' }]);
    expect(await balances(member._id)).toEqual({ points_balance: 900, points_held: 0, points_available: 900 });
  });

  it('captures every coupon of an order in one request', async () => {
    const { member, redemptions } = await heldCoupons(3);
    const res = await order({ order_id: 'multi-all', coupon_codes: redemptions.map((r) => r.coupon_code) });
    expect(res.status).toBe(200);
    expect((await readJson(res)).redemptions).toEqual(redemptions.map((r) => ({ id: r.id, status: 'completed' })));
    expect(await balances(member._id)).toEqual({ points_balance: 700, points_held: 0, points_available: 700 });
  });

  it('captures 20 coupons fulfilled by a partner that takes 5 s each within seconds, all of them together', async () => {
    flavours.setDefault({ status: 200, body: {}, delayMs: 5_000 });
    const { member, redemptions } = await heldCoupons(20, { partner: 'flavours' });
    const started = Date.now();
    const res = await order({ order_id: 'multi-slow-partner', coupon_codes: redemptions.map((r) => r.coupon_code) });
    const took = Date.now() - started;
    expect(res.status).toBe(200);
    expect((await readJson(res)).redemptions).toEqual(redemptions.map((r) => ({ id: r.id, status: 'completed' })));
    // One partner call's time, not twenty: the holds of the last coupons never came near their lease.
    expect(took).toBeLessThan(15_000);
    expect(await balances(member._id)).toEqual({ points_balance: 0, points_held: 0, points_available: 0 });
    expect(flavours.calls).toHaveLength(20);
  }, 120_000);

  it('captures none of its coupons when one is refused, and the others stay usable by another order', async () => {
    const { member, redemptions } = await heldCoupons(3);
    const [first, second, third] = redemptions;
    const desk = new OrderDesk(deps());
    // Read before the second coupon is cancelled: the order's check passes, its workflow then refuses.
    const documents = await desk.redemptionsOfCoupons(redemptions.map((r) => r.coupon_code));
    const cancelled = await stack.api.request(`/v1/redemptions/${second.id}/cancel`, { method: 'POST' });
    expect((await readJson(cancelled)).status).toBe('cancelled');

    await expect(desk.capture(documents, { order_id: 'multi-refused' })).rejects.toMatchObject({
      status: 422,
      code: 'coupon_cancelled',
    });
    expect([await statusOf(first.id), await statusOf(third.id)]).toEqual(['awaiting_order', 'awaiting_order']);
    expect(await balances(member._id)).toEqual({ points_balance: 1_000, points_held: 200, points_available: 800 });

    // The holds were let go: another order uses both at once.
    const res = await order({ order_id: 'multi-next', coupon_codes: [first.coupon_code, third.coupon_code] });
    expect(res.status).toBe(200);
    expect(await balances(member._id)).toEqual({ points_balance: 800, points_held: 0, points_available: 800 });
    expect(await foldLedger(stack.mongo.db, member._id)).toMatchObject({ points_balance: 800, points_held: 0 });
    await recordHistory(stack.client, 'multi-coupon-claimed-released', workflowIdOf(first.id));
  });

  it('lets go of a completed coupon when another coupon of the order is refused, and it stays usable', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const { id: optionId } = await createOption(stack.mongo.db);
    const completed = [];
    for (const key of ['a', 'b']) {
      const res = await stack.api.request('/v1/redemptions', {
        method: 'POST',
        json: { customer_email: member.email, redemption_option_id: optionId },
      });
      expect(res.status, key).toBe(201);
      completed.push(await readJson(res));
    }
    const [first, second] = completed;
    // Their workflows have ended: order events go to each redemption's orders workflow.
    await Promise.all(completed.map((r) => stack.client.workflow.getHandle(workflowIdOf(r.id)).result()));
    const desk = new OrderDesk(deps());
    // Read before another order uses the second coupon: the order's check passes, the orders workflow then refuses.
    const documents = await desk.redemptionsOfCoupons(completed.map((r) => r.coupon_code));
    expect((await order({ order_id: 'completed-other', coupon_code: second.coupon_code })).status).toBe(200);

    await expect(desk.capture(documents, { order_id: 'completed-refused' })).rejects.toMatchObject({
      status: 409,
      code: 'coupon_already_used',
    });
    await recordHistory(stack.client, 'orders-claimed-released', ordersWorkflowIdOf(first.id));

    const res = await order({ order_id: 'completed-next', coupon_code: first.coupon_code });
    expect(res.status).toBe(200);
    expect((await readJson(res)).redemptions).toEqual([{ id: first.id, status: 'completed' }]);
    expect(await balances(member._id)).toEqual({ points_balance: 800, points_held: 0, points_available: 800 });
    await recordHistory(stack.client, 'orders-order-recorded', ordersWorkflowIdOf(first.id));
  });

  it('refuses a whole order whose coupons another order holds, changing nothing', async () => {
    const { member, redemptions } = await heldCoupons(2);
    const workflows = new RedemptionWorkflows(stack.client, stack.config);
    await workflows.claimForOrder(redemptions[1].id, { order_id: 'multi-holder' });

    const res = await order({ order_id: 'multi-late', coupon_codes: redemptions.map((r) => r.coupon_code) });
    expect(res.status).toBe(409);
    expect((await readJson(res)).error.code).toBe('coupon_already_used');
    const cancel = await stack.api.request(`/v1/redemptions/${redemptions[1].id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(409);
    expect(await balances(member._id)).toEqual({ points_balance: 1_000, points_held: 200, points_available: 800 });

    const holder = await order({ order_id: 'multi-holder', coupon_codes: redemptions.map((r) => r.coupon_code) });
    expect(holder.status).toBe(200);
    expect(await balances(member._id)).toEqual({ points_balance: 800, points_held: 0, points_available: 800 });
  });

  it('lets the order holding a coupon capture it after the coupon would have expired', async () => {
    const { member, redemptions } = await heldCoupons(1, { coupon_ttl_seconds: 2 });
    const [redemption] = redemptions;
    const workflows = new RedemptionWorkflows(stack.client, stack.config);
    await workflows.claimForOrder(redemption.id, { order_id: 'multi-slow' });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await statusOf(redemption.id)).toBe('awaiting_order');

    const res = await order({ order_id: 'multi-slow', coupon_code: redemption.coupon_code });
    expect(res.status).toBe(200);
    expect((await readJson(res)).redemptions).toEqual([{ id: redemption.id, status: 'completed' }]);
    expect(await balances(member._id)).toEqual({ points_balance: 900, points_held: 0, points_available: 900 });
  });
});
