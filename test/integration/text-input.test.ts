import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemberWithPoints } from '../harness/fixtures';
import { readJson, startTestStack, type TestStack } from '../harness/stack';

const DELIVERECT_SECRET = 'deliverect-text-secret';

describe('text that the store cannot hold', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false, env: { DELIVERECT_INBOUND_SECRET: DELIVERECT_SECRET } });
  });
  afterAll(() => stack?.close());

  const counts = async () =>
    Object.fromEntries(
      await Promise.all(
        ['members', 'ledger', 'redemptions', 'partner_notifications'].map(
          async (name) => [name, await stack.mongo.db.collection(name).countDocuments()] as const,
        ),
      ),
    );
  const deliverect = (path: string, json: unknown) => {
    const raw = JSON.stringify(json);
    return fetch(`${stack.api.url}/webhooks/deliverect/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-server-authorization-hmac-sha256': createHmac('sha256', DELIVERECT_SECRET).update(raw).digest('hex'),
      },
      body: raw,
    });
  };

  it('refuses text holding the NUL character with a 400 naming the field, and stores nothing', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 100);
    const before = await counts();
    const answers = [
      await stack.api.request('/v1/members', { method: 'POST', json: { external_id: 'a', name: 'Ann\u0000' } }),
      await stack.api.request(`/v1/members/${member._id}/points`, {
        method: 'POST',
        json: { points: 5, reason: 'bonus\u0000', idempotency_key: 'k1' },
      }),
      await stack.api.request('/v1/orders', { method: 'POST', json: { order_id: 'o\u0000', coupon_code: 'X' } }),
      await deliverect('orders/cancel', { orderId: 'o\u00001', isCancelled: true }),
      await deliverect('loyalty-programs', {
        order: { customer: { email: 'a\u0000@example.com' }, items: [], subTotal: 0, decimalDigits: 2 },
      }),
    ];
    const fields = ['name', 'reason', 'order_id', 'orderId', 'order.customer.email'];
    for (const [index, res] of answers.entries()) {
      expect(res.status, fields[index]).toBe(400);
      const { error } = await readJson(res);
      expect(error.details).toContainEqual({
        path: fields[index],
        message: 'must not contain the NUL character (U+0000)',
      });
    }
    expect(await counts()).toEqual(before);
  });

  it('answers 400, not 500, for an id holding the NUL character in the path', async () => {
    for (const path of ['/v1/members/%00', '/v1/members/a%00b/ledger', '/v1/redemptions/%00']) {
      const res = await stack.api.request(path);
      expect(res.status, path).toBe(400);
      expect((await readJson(res)).error.details[0].path).toBe('id');
    }
    const cancel = await stack.api.request('/v1/redemptions/%00/cancel', { method: 'POST' });
    expect(cancel.status).toBe(400);
  });
});
