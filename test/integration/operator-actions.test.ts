import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersWorkflowIdOf, workflowIdOf } from '../../application/redemption-ids';
import { RedemptionWorkflows } from '../../application/redemption-workflows';
import { Ledger } from '../../store/ledger';
import { releaseHoldUpdate } from '../../workflows/messages';
import { createMemberWithPoints, createOption, foldLedger } from '../harness/fixtures';
import { recordHistory } from '../harness/histories';
import { TEST_API_KEY, readJson, startTestStack, type TestStack } from '../harness/stack';
import { fulfilledByStub, startStubPartner, type StubPartner } from '../harness/stub-partner';

describe("operators' actions on a redemption", () => {
  let stack: TestStack;
  let partner: StubPartner;

  beforeAll(async () => {
    partner = await startStubPartner();
    stack = await startTestStack({
      env: fulfilledByStub(partner, {
        PARTNER_RECONCILE_LIMIT_MS: '2000',
        API_KEYS: `support-desk:${TEST_API_KEY}`,
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await partner?.close();
  });

  const balances = (memberId: string) => new Ledger(stack.mongo.db).balances(memberId);
  const redeem = async (body: Record<string, unknown>) => {
    const res = await stack.api.request('/v1/redemptions', { method: 'POST', json: body });
    return { status: res.status, body: await readJson(res) };
  };
  const act = async (id: string, action: string, json: Record<string, unknown> = {}) => {
    const res = await stack.api.request(`/v1/redemptions/${id}/actions/${action}`, { method: 'POST', json });
    return { status: res.status, body: await readJson(res) };
  };
  const operatorEvents = async (id: string) =>
    (await readJson(await stack.api.request(`/v1/redemptions/${id}`))).events.filter(
      (event: any) => event.type === 'operator_action' || event.type === 'review_resolved',
    );

  /** A delayed redemption of 100 points by a member with 500, awaiting its order. */
  async function heldRedemption() {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db);
    const held = await redeem({
      customer_email: member.email,
      redemption_option_id: option.id,
      delay_points_deduction: true,
    });
    expect(held.body.status).toBe('awaiting_order');
    return { member, held };
  }

  it('releases a hold now, audited with the API client and the reason, and refuses a second release', async () => {
    const { member, held } = await heldRedemption();

    const released = await act(held.body.id, 'release', { reason: 'customer left the queue' });
    expect(released.status).toBe(200);
    expect(released.body.status).toBe('cancelled');
    expect(await balances(member._id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
    expect(await operatorEvents(held.body.id)).toMatchObject([
      {
        type: 'operator_action',
        data: { action: 'release', operator: 'support-desk', reason: 'customer left the queue' },
      },
    ]);

    const again = await act(held.body.id, 'release', { reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('redemption_not_releasable');
    await recordHistory(stack.client, 'operator-released', workflowIdOf(held.body.id));
  });

  it('refunds a completed redemption only with a reason, once, and the fold agrees', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db, { cost_points: 200 });
    const done = await redeem({ customer_email: member.email, redemption_option_id: option.id });
    expect(done.body.status).toBe('completed');

    const withoutReason = await act(done.body.id, 'refund');
    expect(withoutReason.status).toBe(422);
    expect(withoutReason.body.error.code).toBe('invalid_operator_action');
    expect((await balances(member._id)).points_balance).toBe(300);

    const refunded = await act(done.body.id, 'refund', { reason: 'wrong item rung up' });
    expect(refunded.status).toBe(200);
    expect(refunded.body.status).toBe('refunded');
    expect(await balances(member._id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
    expect(await foldLedger(stack.mongo.db, member._id)).toMatchObject({ points_balance: 500 });
    expect(await operatorEvents(done.body.id)).toMatchObject([
      { data: { action: 'refund', operator: 'support-desk', reason: 'wrong item rung up' } },
    ]);
    await recordHistory(stack.client, 'orders-operator-refunded', ordersWorkflowIdOf(done.body.id));

    const again = await act(done.body.id, 'refund', { reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('redemption_not_refundable');
    expect((await balances(member._id)).points_balance).toBe(500);
  });

  it('refunds a completed redemption through its own workflow while an order still holds its coupon', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db, { cost_points: 200, partner: 'flavours' });
    const before = partner.calls.length;
    // The first attempt fails and the second answers late, which leaves the claim below time to come first.
    partner.queue({ status: 503 }, { status: 200, body: {}, delayMs: 700 });
    const redeeming = redeem({ customer_email: member.email, redemption_option_id: option.id });
    const calls = await partner.waitForCalls(before + 1);
    const redemptionId = String(calls[before]!.headers['idempotency-key']);
    // An order with several coupons claims this one while the partner is still being called, and keeps it.
    await new RedemptionWorkflows(stack.client, stack.config).claimForOrder(redemptionId, { order_id: 'still-open' });
    expect((await redeeming).body.status).toBe('completed');
    expect((await stack.client.workflow.getHandle(workflowIdOf(redemptionId)).describe()).status.name).toBe('RUNNING');

    const refunded = await act(redemptionId, 'refund', { reason: 'order abandoned at the till' });
    expect(refunded.status).toBe(200);
    expect(refunded.body.status).toBe('refunded');
    expect(await balances(member._id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
    expect(await operatorEvents(redemptionId)).toMatchObject([
      { data: { action: 'refund', operator: 'support-desk', reason: 'order abandoned at the till' } },
    ]);
    // The redemption's own workflow refunded it and ended: no orders workflow was needed.
    await stack.client.workflow.getHandle(workflowIdOf(redemptionId)).result();
    await expect(stack.client.workflow.getHandle(ordersWorkflowIdOf(redemptionId)).describe()).rejects.toThrow();
    await recordHistory(stack.client, 'operator-refunded-while-claimed', workflowIdOf(redemptionId));
  });

  it('audits a release sent from the Temporal UI without a name as temporal-ui', async () => {
    const { member, held } = await heldRedemption();
    // What the UI's Send Update does: the update by name, with the JSON the operator typed.
    const handle = stack.client.workflow.getHandle(workflowIdOf(held.body.id));
    const outcome = await handle.executeUpdate(releaseHoldUpdate, { args: [{ reason: 'till offline' }] });
    expect(outcome.status).toBe('cancelled');
    expect(await operatorEvents(held.body.id)).toMatchObject([
      { data: { action: 'release', operator: 'temporal-ui', reason: 'till offline' } },
    ]);
    await expect(handle.executeUpdate(releaseHoldUpdate, { args: [{ reason: 'again' }] })).rejects.toThrow();
    expect(await balances(member._id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
  });

  it('releases the hold when an operator cancels a waiting redemption in the Temporal UI, which ends Canceled', async () => {
    const { member, held } = await heldRedemption();
    // What the UI's Cancel does: a cancellation request to the workflow.
    const handle = stack.client.workflow.getHandle(workflowIdOf(held.body.id));
    await handle.cancel();
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await readJson(await stack.api.request(`/v1/redemptions/${held.body.id}`))).status).toBe('cancelled');
    expect(await balances(member._id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
    await recordHistory(stack.client, 'temporal-cancelled', workflowIdOf(held.body.id));
  });

  it('resolves a redemption in needs_review as not fulfilled, refunding it, and refuses one not in review', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db, { partner: 'flavours' });
    partner.setDefault({ hang: true });
    let id: string;
    try {
      const res = await redeem({ customer_email: member.email, redemption_option_id: option.id });
      id = res.body.id;
      await expect
        .poll(async () => (await readJson(await stack.api.request(`/v1/redemptions/${id}`))).status, {
          timeout: 20_000,
          interval: 250,
        })
        .toBe('needs_review');
    } finally {
      partner.setDefault({ status: 200, body: {} });
    }
    expect((await balances(member._id)).points_balance).toBe(200);

    const withoutOutcome = await act(id, 'resolve', { reason: 'asked the partner' });
    expect(withoutOutcome.status).toBe(422);
    const resolved = await act(id, 'resolve', { outcome: 'not_fulfilled', reason: 'partner has no record' });
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('compensated');
    expect(await balances(member._id)).toEqual({ points_balance: 300, points_held: 0, points_available: 300 });
    expect(await operatorEvents(id)).toMatchObject([
      { type: 'review_resolved', data: { outcome: 'not_fulfilled', operator: 'support-desk' } },
    ]);

    const notInReview = await act(id, 'resolve', { outcome: 'fulfilled' });
    expect(notInReview.status).toBe(409);
    expect(notInReview.body.error.code).toBe('redemption_not_in_review');
  });

  it('answers 400 for an unknown action and 404 for an unknown redemption, changing nothing', async () => {
    expect((await act('rdm_unknown', 'release')).status).toBe(404);
    const unknownAction = await act('rdm_unknown', 'explode');
    expect(unknownAction.status).toBe(400);
    expect((await act('rdm_unknown', 'refund', { reason: 'x', extra: true })).status).toBe(400);
  });
});
