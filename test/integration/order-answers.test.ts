/**
 * An order is answered with its capture's outcome when that comes within REDEMPTION_SYNC_WAIT_MS, and with 202 and the
 * redemption as it stands when it does not; the redemption's workflow has the capture either way, so it completes
 * without the order being sent again, and the same order again then answers 200.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../store/ledger';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { readJson, startTestStack, type TestStack } from '../harness/stack';
import { fulfilledByStub, startStubPartner, type StubPartner } from '../harness/stub-partner';

describe('an order answered before its capture finishes', () => {
  let stack: TestStack;
  let partner: StubPartner;

  beforeAll(async () => {
    partner = await startStubPartner();
    // A partner attempt outlasts the wait: an attempt that hangs is given up after 3 s, and the next one answers.
    stack = await startTestStack({
      env: fulfilledByStub(partner, {
        REDEMPTION_SYNC_WAIT_MS: '1000',
        PARTNER_CALL_TIMEOUT_MS: '3000',
        PARTNER_REDEEM_DEADLINE_MS: '20000',
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await partner?.close();
  });

  const post = (path: string, json: unknown) => stack.api.request(path, { method: 'POST', json });

  it('answers 200 when the capture finishes within the wait', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db, { partner: 'flavours' });
    const held = await readJson(
      await post('/v1/redemptions', {
        customer_email: member.email,
        redemption_option_id: option.id,
        delay_points_deduction: true,
      }),
    );
    const res = await post('/v1/orders', { order_id: `o-${held.id}`, coupon_code: held.coupon_code });
    expect(res.status).toBe(200);
    expect((await readJson(res)).redemptions).toMatchObject([{ id: held.id, status: 'completed' }]);
  });

  it('answers 202 when it does not, and the redemption completes without the order sent again', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db, { partner: 'flavours' });
    const created = await post('/v1/redemptions', {
      customer_email: member.email,
      redemption_option_id: option.id,
      delay_points_deduction: true,
    });
    expect(created.status).toBe(201);
    const held = await readJson(created);
    expect(held.status).toBe('awaiting_order');
    const order = { order_id: `o-${held.id}`, coupon_code: held.coupon_code };
    const before = partner.calls.length;
    partner.queue({ hang: true });

    const res = await post('/v1/orders', order);
    expect(res.status).toBe(202);
    const [answered] = (await readJson(res)).redemptions;
    expect(answered.id).toBe(held.id);
    expect(answered.status).not.toBe('completed');

    const deadline = Date.now() + 30_000;
    let status = answered.status;
    while (status !== 'completed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await readJson(await stack.api.request(`/v1/redemptions/${held.id}`))).status;
    }
    expect(status).toBe('completed');
    expect(partner.calls.slice(before).map((call) => call.headers['idempotency-key'])).toEqual([held.id, held.id]);

    const again = await post('/v1/orders', order);
    expect(again.status).toBe(200);
    expect((await readJson(again)).redemptions).toMatchObject([{ id: held.id, status: 'completed' }]);
    expect(partner.calls.length).toBe(before + 2);
    expect(await new Ledger(stack.mongo.db).balances(member._id)).toEqual({
      points_balance: 200,
      points_held: 0,
      points_available: 200,
    });
  });
});
