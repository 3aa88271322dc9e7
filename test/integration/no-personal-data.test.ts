import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverectRedemptionId } from '../../application/deliverect-inbox';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { recordedHistories } from '../harness/histories';
import { readJson, startTestStack, type TestStack } from '../harness/stack';

const DELIVERECT_SECRET = 'deliverect-inbound-secret';
const SEED_REQUEST = JSON.parse(
  readFileSync(new URL('../fixtures/deliverect/loyalty-programs-request.json', import.meta.url), 'utf8'),
);
const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)*\.[a-z]{2,}\b/i;

/** Every payload of a history as text: its JSON, with each base64 payload's data decoded in place. */
function decodedText(history: unknown): string {
  const decode = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(decode);
    if (value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).map(([key, inner]) => {
        if ((key === 'data' || key === 'encoding') && typeof inner === 'string') {
          return [key, Buffer.from(inner, 'base64').toString('utf8')];
        }
        if ((key === 'data' || key === 'encoding') && inner instanceof Uint8Array) {
          return [key, Buffer.from(inner).toString('utf8')];
        }
        return [key, decode(inner)];
      });
      return Object.fromEntries(entries);
    }
    return value;
  };
  return JSON.stringify(decode(history));
}

describe('no personal data in Temporal', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ env: { DELIVERECT_INBOUND_SECRET: DELIVERECT_SECRET } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("keeps every identifier of the suite's members out of the histories of their redemptions", async () => {
    const db = stack.mongo.db;
    const identifiers = {
      email: 'Private.Person@example.com',
      phone_number: '+966500009999',
      pos_account_id: 'pos-acct-7731',
      external_id: 'crm-4411-private',
    };
    await createMemberWithPoints(db, 200, identifiers);
    const option = await createOption(db, { cost_points: 100 });
    const redeem = async (body: Record<string, unknown>) =>
      readJson(
        await stack.api.request('/v1/redemptions', {
          method: 'POST',
          json: { redemption_option_id: option.id, ...body },
        }),
      );
    const immediate = await redeem({ customer_email: identifiers.email.toUpperCase() });
    const delayed = await redeem({ phone_number: identifiers.phone_number, delay_points_deduction: true });
    const order = await stack.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: 'pii-order', coupon_code: delayed.coupon_code },
    });
    expect(order.status).toBe(200);
    const refused = await redeem({ pos_account_id: identifiers.pos_account_id });
    await stack.api.request('/v1/orders/pii-order/cancel', { method: 'POST' });
    const unknown = await redeem({ customer_external_id: 'crm-nobody-private' });
    expect([immediate.status, delayed.status, refused.error?.code, unknown.error?.code]).toEqual([
      'completed',
      'awaiting_order',
      'insufficient_points',
      'member_not_found',
    ]);

    // A Deliverect order for a member found by the email in the order.
    const deliverectMember = await createMemberWithPoints(db, 1_000, {
      email: SEED_REQUEST.order.customer.email,
      phone_number: SEED_REQUEST.order.customer.phoneNumber,
    });
    const deliverectOption = await createOption(db, { currency: 'EUR', cost_points: 100 });
    const raw = JSON.stringify({
      ...SEED_REQUEST,
      orderId: 'pii-deliverect',
      order: {
        ...SEED_REQUEST.order,
        discounts: [{ name: 'loyalty', programId: String(deliverectOption.id), type: 'discount_amount', amount: 100 }],
      },
    });
    const webhook = await fetch(`${stack.api.url}/webhooks/deliverect/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-server-authorization-hmac-sha256': createHmac('sha256', DELIVERECT_SECRET).update(raw).digest('hex'),
      },
      body: raw,
    });
    expect(webhook.status).toBe(200);
    const deliverectId = deliverectRedemptionId('pii-deliverect', deliverectOption.id);
    await expect
      .poll(async () => (await readJson(await stack.api.request(`/v1/redemptions/${deliverectId}`))).status, {
        timeout: 15_000,
      })
      .toBe('completed');
    expect((await readJson(await stack.api.request(`/v1/redemptions/${deliverectId}`))).member_id).toBe(
      deliverectMember._id,
    );

    const secrets = [
      ...Object.values(identifiers),
      identifiers.email.toLowerCase(),
      'crm-nobody-private',
      SEED_REQUEST.order.customer.email,
      SEED_REQUEST.order.customer.phoneNumber,
    ];
    let scanned = 0;
    for await (const workflow of stack.client.workflow.list({
      query: `TaskQueue = "${stack.config.temporal.taskQueue}"`,
    })) {
      const history = await stack.client.workflow.getHandle(workflow.workflowId, workflow.runId).fetchHistory();
      const text = decodedText(history);
      for (const secret of secrets) expect(text, `${workflow.workflowId} holds ${secret}`).not.toContain(secret);
      expect(EMAIL.exec(text)?.[0], `${workflow.workflowId} holds an email address`).toBeUndefined();
      scanned++;
    }
    expect(scanned).toBeGreaterThanOrEqual(6);
  });

  it('keeps email addresses out of the recorded histories that the replay test replays', () => {
    const histories = recordedHistories();
    expect(histories.length).toBeGreaterThan(0);
    for (const { file } of histories) {
      const text = decodedText(JSON.parse(readFileSync(file, 'utf8')));
      expect(EMAIL.exec(text)?.[0], `${file} holds an email address`).toBeUndefined();
    }
  });
});
