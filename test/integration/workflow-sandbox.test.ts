/**
 * The worker runs its workflows on the Temporal SDK as patches/ changes it (patches/README.md): without the promise
 * hook that captured a stack trace for every promise a workflow creates. What an operator sees of that is the
 * Temporal UI's Stack Trace tab, whose query says that stack traces are not enabled; the redemption itself is
 * unaffected. A fresh `npm ci` that did not apply the patch fails this test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdOf } from '../../application/redemption-ids';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { readJson, startTestStack, type TestStack } from '../harness/stack';

describe('the patched workflow sandbox', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.close());

  it('answers the stack trace query with "not enabled", and the redemption carries on', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db);
    const res = await stack.api.request('/v1/redemptions', {
      method: 'POST',
      json: { customer_email: member.email, redemption_option_id: option.id, delay_points_deduction: true },
    });
    expect(res.status).toBe(201);
    const waiting = await readJson(res);
    expect(waiting.status).toBe('awaiting_order');

    const handle = stack.client.workflow.getHandle(workflowIdOf(waiting.id));
    await expect(handle.query('__stack_trace')).rejects.toThrow(/stack traces are not enabled/);

    const order = await stack.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: 'sandbox-order', coupon_code: waiting.coupon_code, subtotal: 5000 },
    });
    expect(order.status).toBe(200);
    expect((await readJson(order)).redemptions[0].status).toBe('completed');
  });
});
