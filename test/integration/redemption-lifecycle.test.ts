import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUPON_ALPHABET } from '../../domain/coupon';
import { Ledger } from '../../store/ledger';
import { createMemberWithPoints, createOption, foldLedger } from '../harness/fixtures';
import { ordersWorkflowIdOf, workflowIdOf } from '../../application/redemption-ids';
import { RedemptionStatusKey } from '../../domain/search-attributes';
import { resolveTemporalExecutable } from '../../scripts/tools';
import { captureOrderUpdate, resolveReviewUpdate } from '../../workflows/messages';
import { recordHistory } from '../harness/histories';
import { scrape } from '../harness/prometheus';
import { TEST_API_KEY, readJson, startTestStack, type TestStack } from '../harness/stack';
import { fulfilledByStub, startStubPartner, type StubPartner } from '../harness/stub-partner';

const COUPON_PATTERN = new RegExp(`^([${COUPON_ALPHABET}]{4}-){3}[${COUPON_ALPHABET}]{4}$`);

describe('redemption lifecycle over HTTP', () => {
  let stack: TestStack;
  let partner: StubPartner;

  beforeAll(async () => {
    partner = await startStubPartner();
    stack = await startTestStack({
      env: fulfilledByStub(partner, {
        PARTNER_REDEEM_DEADLINE_MS: '4000',
        PARTNER_RECONCILE_LIMIT_MS: '3000',
        // One client with two keys (a rotation), and another client.
        API_KEYS: `till:${TEST_API_KEY},till:rotated-key,another-client-key`,
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await partner?.close();
  });

  const redeem = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    stack.api.request('/v1/redemptions', { method: 'POST', json: body, headers });
  const balances = (memberId: string) => new Ledger(stack.mongo.db).balances(memberId);
  const getRedemption = async (id: string) => readJson(await stack.api.request(`/v1/redemptions/${id}`));

  it('completes an immediate redemption: debits the points, issues a coupon and calls the partner once', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db, { partner: 'flavours', business_ref: 'dev' });
    const calls = partner.calls.length;

    const res = await redeem({ customer_email: member.email!.toUpperCase(), redemption_option_id: option.id });
    expect(res.status).toBe(201);
    const body = await readJson(res);
    expect(body).toMatchObject({ status: 'completed', member_id: member._id, points: 100, partner: 'flavours' });
    expect(body.reward_text).toBe(body.coupon_code);
    expect(body.coupon_code).toMatch(COUPON_PATTERN);
    expect(await balances(member._id)).toEqual({ points_balance: 400, points_held: 0, points_available: 400 });

    const call = partner.calls[calls]!;
    expect(partner.calls.length).toBe(calls + 1);
    expect(call.headers['idempotency-key']).toBe(body.id);
    expect(call.headers['api-token']).toBe('flavours-outbound-secret');
    expect(call.body).toEqual({
      reward_code: body.coupon_code,
      business_refrence: 'dev',
      branch_id: '',
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      timestamp: expect.stringMatching(/^\d{10}$/),
    });

    const detail = await getRedemption(body.id);
    expect(
      detail.events.map((event: any) => event.status ?? `${event.type}:${event.data?.entry ?? event.data?.outcome}`),
    ).toEqual(['pending', 'ledger:DEBIT', 'redeeming', 'partner_call:accepted', 'completed']);
    expect(JSON.stringify(detail.events)).not.toContain(member.email);
    expect(JSON.stringify(detail.events)).not.toContain('flavours-outbound-secret');
    await recordHistory(stack.client, 'immediate-completed', workflowIdOf(body.id));
    await recordHistory(stack.client, 'immediate-completed-began-with-points', workflowIdOf(body.id));
    const metrics = await scrape(`${stack.api.url}/metrics`);
    expect(metrics).toMatch(/redemption_requests_total\{status="completed"\} [1-9]/);
  });

  it('finds the member by an email written with compatibility characters (Kelvin sign, full-width letters)', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300, { email: `kate-${Date.now()}@example.com` });
    const option = await createOption(stack.mongo.db, { cost_points: 100 });
    const kelvin = member.email!.replace('k', '\u212A');
    const fullWidth = member.email!.replace('@example', '@\uFF45xample');
    for (const email of [kelvin, fullWidth]) {
      const res = await redeem({ customer_email: email, redemption_option_id: option.id });
      expect(res.status, email).toBe(201);
      expect((await readJson(res)).member_id).toBe(member._id);
    }
  });

  it('answers each rejection with 422, its reason code, and no change to the points', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 150);
    const fixed = await createOption(stack.mongo.db, { cost_points: 200 });
    const inactive = await createOption(stack.mongo.db, { active: false });
    const variable = await createOption(stack.mongo.db, {
      type: 'variable',
      cost_points: undefined,
      item_plu: undefined,
      points_per_unit: 50,
      unit_value: 100,
    });
    const cases: [Record<string, unknown>, string][] = [
      [{ customer_email: 'nobody@example.com', redemption_option_id: fixed.id }, 'member_not_found'],
      [{ customer_email: member.email, redemption_option_id: 99_999 }, 'option_not_found'],
      [{ customer_email: member.email, redemption_option_id: inactive.id }, 'option_inactive'],
      [{ customer_email: member.email, redemption_option_id: fixed.id }, 'insufficient_points'],
      [{ customer_email: member.email, redemption_option_id: fixed.id, currency: 'KWD' }, 'currency_not_supported'],
      [{ customer_email: member.email, redemption_option_id: variable.id }, 'points_required'],
      [{ customer_email: member.email, redemption_option_id: variable.id, point_redemptions: 75 }, 'invalid_points'],
    ];
    for (const [body, reason] of cases) {
      const res = await redeem(body);
      expect(res.status, reason).toBe(422);
      expect((await readJson(res)).error.code).toBe(reason);
    }
    expect(await balances(member._id)).toEqual({ points_balance: 150, points_held: 0, points_available: 150 });
    const rejected = await readJson(await stack.api.request(`/v1/redemptions?member_id=${member._id}&status=rejected`));
    expect(rejected.total).toBe(6);
    await recordHistory(stack.client, 'rejected', workflowIdOf(rejected.data[0].id));
    await recordHistory(stack.client, 'rejected-began-with-points', workflowIdOf(rejected.data[0].id));
  });

  it('redeems a variable option for the points asked, in multiples of its unit', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300, { phone_number: '+966500000001' });
    const variable = await createOption(stack.mongo.db, {
      type: 'variable',
      cost_points: undefined,
      item_plu: undefined,
      points_per_unit: 50,
      unit_value: 100,
    });
    const res = await redeem({
      phone_number: '+966500000001',
      redemption_option_id: variable.id,
      point_redemptions: 250,
    });
    expect(res.status).toBe(201);
    expect((await readJson(res)).points).toBe(250);
    expect((await balances(member._id)).points_available).toBe(50);
  });

  it('refuses bad bodies with 400 naming the fields, and starts nothing', async () => {
    const before = await stack.mongo.db.collection('redemptions').countDocuments();
    const noIdentifier = await redeem({ redemption_option_id: 1 });
    expect(noIdentifier.status).toBe(400);
    expect((await readJson(noIdentifier)).error.details[0].path).toBe('customer_email');
    const badTypes = await redeem({
      customer_email: 'a@b.c',
      redemption_option_id: '1',
      point_redemptions: 1.5,
      extra: 1,
    });
    expect(badTypes.status).toBe(400);
    const paths = (await readJson(badTypes)).error.details.map((detail: any) => detail.path);
    expect(paths).toEqual(expect.arrayContaining(['redemption_option_id', 'point_redemptions']));
    expect(await stack.mongo.db.collection('redemptions').countDocuments()).toBe(before);
  });

  it('returns the same redemption for the same Idempotency-Key and body, and 409 for another body', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db);
    const body = { customer_email: member.email, redemption_option_id: option.id };
    const first = await redeem(body, { 'idempotency-key': 'order-1234' });
    const replays = await Promise.all([1, 2, 3].map(() => redeem(body, { 'idempotency-key': 'order-1234' })));
    const firstBody = await readJson(first);
    for (const replay of replays) {
      expect(replay.status).toBe(201);
      expect((await readJson(replay)).id).toBe(firstBody.id);
    }
    const other = await redeem({ ...body, currency: 'SAR' }, { 'idempotency-key': 'order-1234' });
    expect(other.status).toBe(409);
    expect((await readJson(other)).error.code).toBe('idempotency_key_reused');
    const debits = (await foldLedger(stack.mongo.db, member._id)).entries.filter((entry) => entry.type === 'DEBIT');
    expect(debits).toHaveLength(1);
    expect((await balances(member._id)).points_balance).toBe(400);
  });

  it('answers Create Redemption with the redemption as it is stored, with or without a partner, immediate or delayed', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const withPartner = await createOption(stack.mongo.db, { partner: 'flavours', business_ref: 'dev' });
    const withoutPartner = await createOption(stack.mongo.db);
    const limited = await createOption(stack.mongo.db, { limits: { stock: 10 } });
    const bodies = [
      { redemption_option_id: withPartner.id },
      { redemption_option_id: withoutPartner.id },
      { redemption_option_id: withoutPartner.id, delay_points_deduction: true },
      { redemption_option_id: limited.id },
      { redemption_option_id: limited.id, delay_points_deduction: true },
    ];
    for (const body of bodies) {
      const res = await redeem({ customer_email: member.email, ...body });
      expect(res.status, JSON.stringify(body)).toBe(201);
      const answered = await readJson(res);
      const { events, ...stored } = await getRedemption(answered.id);
      expect(answered, JSON.stringify(body)).toEqual(stored);
      expect(events[0]).toMatchObject({ type: 'requested', status: 'pending' });
      expect(answered.status).toBe(body.delay_points_deduction ? 'awaiting_order' : 'completed');
    }
  });

  // Beside its worker, as `npm start` runs them, the API starts a redemption that ends with its first step eagerly: the
  // worker runs that step as soon as Temporal answers the start, and the workflow's result is the answer.
  it('starts a redemption that ends with its first step eagerly: one workflow task, no update, the same answer', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 150);
    const option = await createOption(stack.mongo.db);
    const body = { customer_email: member.email, redemption_option_id: option.id };
    const res = await redeem(body, { 'idempotency-key': 'eager-1' });
    expect(res.status).toBe(201);
    const answered = await readJson(res);
    const { events, ...stored } = await getRedemption(answered.id);
    expect(answered).toEqual(stored);
    expect(events[0]).toMatchObject({ type: 'requested', status: 'pending' });
    expect(answered).toMatchObject({ status: 'completed', points: 100 });
    const history = await stack.client.workflow.getHandle(workflowIdOf(answered.id)).fetchHistory();
    expect(history.events!.filter((event) => event.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    expect(history.events!.some((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    await recordHistory(stack.client, 'immediate-completed-started-eagerly', workflowIdOf(answered.id));

    // The same request again is answered as it was; another body under the key is refused; a refusal is eager too.
    expect(await readJson(await redeem(body, { 'idempotency-key': 'eager-1' }))).toEqual(answered);
    const reused = await redeem({ ...body, delay_points_deduction: true }, { 'idempotency-key': 'eager-1' });
    expect(reused.status).toBe(409);
    expect((await readJson(reused)).error.code).toBe('idempotency_key_reused');
    const refused = await redeem(body, { 'idempotency-key': 'eager-2' });
    expect(refused.status).toBe(422);
    expect((await readJson(refused)).error.code).toBe('insufficient_points');
    expect(await balances(member._id)).toEqual({ points_balance: 50, points_held: 0, points_available: 50 });
  });

  it('keeps an Idempotency-Key to its client across a key rotation, and apart from other clients', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db);
    const body = { customer_email: member.email, redemption_option_id: option.id };
    const asKey = (key: string) => ({ 'idempotency-key': 'rotation-1', authorization: `Bearer ${key}` });
    const first = await readJson(await redeem(body, asKey(TEST_API_KEY)));
    const afterRotation = await redeem(body, asKey('rotated-key'));
    expect(afterRotation.status).toBe(201);
    expect((await readJson(afterRotation)).id).toBe(first.id);
    const otherClient = await readJson(await redeem(body, asKey('another-client-key')));
    expect(otherClient.id).not.toBe(first.id);
    const debits = (await foldLedger(stack.mongo.db, member._id)).entries.filter((entry) => entry.type === 'DEBIT');
    expect(debits).toHaveLength(2);
  });

  it('holds points for a delayed redemption and captures them when the order arrives', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db, { branch_ids: ['branch-1'], min_subtotal: 1000 });
    const res = await redeem({
      customer_email: member.email,
      redemption_option_id: option.id,
      delay_points_deduction: true,
    });
    expect(res.status).toBe(201);
    const redemption = await readJson(res);
    expect(redemption).toMatchObject({ status: 'awaiting_order', delay_points_deduction: true });
    expect(Date.parse(redemption.expires_at)).toBeGreaterThan(Date.now());
    expect(await balances(member._id)).toEqual({ points_balance: 500, points_held: 100, points_available: 400 });

    const order = (extra: Record<string, unknown>) =>
      stack.api.request('/v1/orders', {
        method: 'POST',
        json: { coupon_code: redemption.coupon_code.toLowerCase(), ...extra },
      });
    const wrongBranch = await order({ order_id: 'o-1', branch_id: 'branch-2', subtotal: 5000 });
    expect(wrongBranch.status).toBe(422);
    expect((await readJson(wrongBranch)).error.code).toBe('branch_not_allowed');
    const tooSmall = await order({ order_id: 'o-1', branch_id: 'branch-1', subtotal: 999 });
    expect((await readJson(tooSmall)).error.code).toBe('min_subtotal_not_met');
    expect(await balances(member._id)).toEqual({ points_balance: 500, points_held: 100, points_available: 400 });

    const captured = await order({ order_id: 'o-1', branch_id: 'branch-1', subtotal: 1500, currency: 'SAR' });
    expect(captured.status).toBe(200);
    expect(await readJson(captured)).toEqual({
      order_id: 'o-1',
      redemptions: [{ id: redemption.id, status: 'completed' }],
    });
    expect(await balances(member._id)).toEqual({ points_balance: 400, points_held: 0, points_available: 400 });

    const again = await order({ order_id: 'o-1', branch_id: 'branch-1', subtotal: 1500 });
    expect(again.status).toBe(200);
    const otherOrder = await order({ order_id: 'o-2', branch_id: 'branch-1', subtotal: 1500 });
    expect(otherOrder.status).toBe(409);
    expect((await readJson(otherOrder)).error.code).toBe('coupon_already_used');
    expect(await foldLedger(stack.mongo.db, member._id)).toMatchObject({ points_balance: 400, points_held: 0 });

    const unknown = await stack.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: 'o-3', coupon_code: 'ABCD-EFGH-JKMN-PQRS' },
    });
    expect(unknown.status).toBe(404);

    const cancelled = await stack.api.request('/v1/orders/o-1/cancel', { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect((await readJson(cancelled)).redemptions).toEqual([{ id: redemption.id, status: 'refunded' }]);
    expect(await balances(member._id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
    await recordHistory(stack.client, 'order-cancelled-refunded', ordersWorkflowIdOf(redemption.id));
    const cancelledAgain = await stack.api.request('/v1/orders/o-1/cancel', { method: 'POST' });
    expect(cancelledAgain.status).toBe(200);
    expect(await balances(member._id)).toMatchObject({ points_balance: 500 });
    await recordHistory(stack.client, 'delayed-captured', workflowIdOf(redemption.id));
    await recordHistory(stack.client, 'delayed-captured-completed-with-points', workflowIdOf(redemption.id));
    await recordHistory(stack.client, 'delayed-captured-after-hold-head', workflowIdOf(redemption.id));
    await recordHistory(stack.client, 'delayed-captured-began-with-points', workflowIdOf(redemption.id));
  });

  it('releases the hold when the coupon expires, and refuses the coupon afterwards', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db, { coupon_ttl_seconds: 2 });
    const redemption = await readJson(
      await redeem({ customer_email: member.email, redemption_option_id: option.id, delay_points_deduction: true }),
    );
    expect((await balances(member._id)).points_held).toBe(100);
    await expect
      .poll(async () => (await getRedemption(redemption.id)).status, { timeout: 10_000, interval: 250 })
      .toBe('expired');
    expect(await balances(member._id)).toEqual({ points_balance: 300, points_held: 0, points_available: 300 });
    const late = await stack.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: 'late', coupon_code: redemption.coupon_code },
    });
    expect(late.status).toBe(422);
    expect((await readJson(late)).error.code).toBe('coupon_expired');
    await recordHistory(stack.client, 'delayed-expired', workflowIdOf(redemption.id));
    await recordHistory(stack.client, 'delayed-expired-after-hold-head', workflowIdOf(redemption.id));
    await recordHistory(stack.client, 'delayed-expired-began-with-points', workflowIdOf(redemption.id));
  });

  it('cancels a redemption awaiting its order, and refuses to cancel one already captured', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db);
    const start = () =>
      redeem({ customer_email: member.email, redemption_option_id: option.id, delay_points_deduction: true });
    const waiting = await readJson(await start());
    const cancel = await stack.api.request(`/v1/redemptions/${waiting.id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    expect((await readJson(cancel)).status).toBe('cancelled');
    expect(
      await stack.api.request(`/v1/redemptions/${waiting.id}/cancel`, { method: 'POST' }).then((r) => r.status),
    ).toBe(200);
    expect(await balances(member._id)).toEqual({ points_balance: 300, points_held: 0, points_available: 300 });
    await recordHistory(stack.client, 'delayed-cancelled', workflowIdOf(waiting.id));

    const captured = await readJson(await start());
    await stack.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: 'o-cancel', coupon_code: captured.coupon_code },
    });
    const tooLate = await stack.api.request(`/v1/redemptions/${captured.id}/cancel`, { method: 'POST' });
    expect(tooLate.status).toBe(409);
    expect((await readJson(tooLate)).error.code).toBe('redemption_not_cancellable');
    expect(
      await stack.api.request('/v1/redemptions/rdm_unknown/cancel', { method: 'POST' }).then((r) => r.status),
    ).toBe(404);
  });

  it('refunds the points and voids the coupon when the partner rejects the redemption', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db, { partner: 'flavours' });
    partner.queue({ status: 400, body: { message: 'unknown reward' } });
    const res = await redeem({ customer_email: member.email, redemption_option_id: option.id });
    expect(res.status).toBe(502);
    expect((await readJson(res)).error.code).toBe('partner_redeem_failed');
    expect(await balances(member._id)).toEqual({ points_balance: 300, points_held: 0, points_available: 300 });
    const [redemption] = (await readJson(await stack.api.request(`/v1/redemptions?member_id=${member._id}`))).data;
    expect(redemption.status).toBe('compensated');
    const detail = await getRedemption(redemption.id);
    expect(detail.events.map((event: any) => event.type)).toEqual(
      expect.arrayContaining(['partner_call', 'ledger', 'coupon_voided']),
    );
    const voided = await stack.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: 'o-void', coupon_code: redemption.coupon_code },
    });
    expect((await readJson(voided)).error.code).toBe('coupon_void');
    await recordHistory(stack.client, 'immediate-compensated', workflowIdOf(redemption.id));
  });

  it('refunds an order cancelled while its reward is being fulfilled, once the partner has answered', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db, { partner: 'flavours' });
    const redemption = await readJson(
      await redeem({ customer_email: member.email, redemption_option_id: option.id, delay_points_deduction: true }),
    );
    const before = partner.calls.length;
    // The cancellation comes between the first attempt and the second, which answers late but within its timeout.
    partner.queue({ status: 503 }, { status: 200, body: {}, delayMs: 700 });
    const capture = stack.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: 'o-while-fulfilling', coupon_code: redemption.coupon_code },
    });
    await partner.waitForCalls(before + 1);
    const cancelled = await stack.api.request('/v1/orders/o-while-fulfilling/cancel', { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(await readJson(cancelled)).toMatchObject({
      redemptions: [{ id: redemption.id, status: 'refunded' }],
      refunds: [{ id: redemption.id, points: 100 }],
    });
    expect((await capture).status).toBe(200);
    expect(partner.calls).toHaveLength(before + 2);
    // The redemption's own workflow refunded it: no orders workflow was needed.
    await expect(stack.client.workflow.getHandle(ordersWorkflowIdOf(redemption.id)).describe()).rejects.toThrow();
    expect(await balances(member._id)).toEqual({ points_balance: 300, points_held: 0, points_available: 300 });
    expect((await foldLedger(stack.mongo.db, member._id)).entries.map((entry) => entry.type)).toEqual([
      'EARN',
      'HOLD',
      'CAPTURE',
      'REFUND',
    ]);
    await recordHistory(stack.client, 'order-cancelled-while-fulfilling', workflowIdOf(redemption.id));
  });

  // Regression (chaos): each resent request started one more update on the workflow; Temporal caps a workflow's
  // updates in flight at 10 and refused every further one, so a till resending a slow order got no answer at all.
  it('joins an order sent again and again while its partner is slow to the capture already running', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db, { partner: 'flavours' });
    const redemption = await readJson(
      await redeem({ customer_email: member.email, redemption_option_id: option.id, delay_points_deduction: true }),
    );
    partner.queue({ status: 200, body: {}, delayMs: 2_500 });
    const sent = Array.from({ length: 15 }, () =>
      stack.api.request('/v1/orders', {
        method: 'POST',
        json: { order_id: 'o-resent', coupon_code: redemption.coupon_code },
      }),
    );
    const answers = await Promise.all(sent);
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const history = await stack.client.workflow.getHandle(workflowIdOf(redemption.id)).fetchHistory();
    const captures = history.events!.filter(
      (event) =>
        event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === captureOrderUpdate.name,
    );
    expect(captures).toHaveLength(1);
    expect(await balances(member._id)).toEqual({ points_balance: 200, points_held: 0, points_available: 200 });
  });

  it('retries a flaky partner with the same Idempotency-Key until it accepts', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db, { partner: 'flavours' });
    const before = partner.calls.length;
    partner.queue({ status: 503 }, { drop: true }, { status: 429 });
    const res = await redeem({ customer_email: member.email, redemption_option_id: option.id });
    expect(res.status).toBe(201);
    const body = await readJson(res);
    const calls = partner.calls.slice(before);
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((call) => call.headers['idempotency-key']))).toEqual(new Set([body.id]));
    expect(new Set(calls.map((call) => call.rawBody)).size).toBe(1);
    expect((await balances(member._id)).points_balance).toBe(200);
  });

  it('compensates when the partner stays unavailable past the deadline', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db, { partner: 'flavours' });
    partner.setDefault({ status: 503 });
    try {
      const res = await redeem({ customer_email: member.email, redemption_option_id: option.id });
      expect(res.status).toBe(502);
    } finally {
      partner.setDefault({ status: 200, body: {} });
    }
    expect(await balances(member._id)).toEqual({ points_balance: 300, points_held: 0, points_available: 300 });
  });

  describe('a partner that never answers', () => {
    const statusTrail = (detail: any) =>
      detail.events.map((event: any) => event.status ?? `${event.type}:${event.data?.entry ?? event.data?.outcome}`);
    /**
     * The trail without the partner attempts' events. An attempt still waiting for its answer when the reconcile limit
     * passes records its unknown outcome when its own timeout ends, which can be after the review began.
     */
    const trailWithoutAttempts = (detail: any) =>
      statusTrail(detail).filter((step: string) => !step.startsWith('partner_call:'));

    /** Redeems while the stub partner hangs past every attempt timeout, until the redemption needs review. */
    async function redemptionInReview() {
      const member = await createMemberWithPoints(stack.mongo.db, 300);
      const option = await createOption(stack.mongo.db, { partner: 'flavours' });
      const before = partner.calls.length;
      const body = { customer_email: member.email, redemption_option_id: option.id };
      const idempotencyKey = { 'idempotency-key': `review-${member._id}` };
      partner.setDefault({ hang: true });
      try {
        const res = await redeem(body, idempotencyKey);
        expect(res.status).toBe(202);
        const answer = await readJson(res);
        expect(answer.status).toBe('needs_review');
        return {
          member,
          id: answer.id as string,
          calls: partner.calls.slice(before),
          again: () => redeem(body, idempotencyKey),
        };
      } finally {
        partner.setDefault({ status: 200, body: {} });
      }
    }

    it('ends in needs_review with the points still debited, searchable by RedemptionStatus', async () => {
      const { member, id, calls, again } = await redemptionInReview();
      expect(calls.length).toBeGreaterThanOrEqual(2);
      expect(new Set(calls.map((call) => call.headers['idempotency-key']))).toEqual(new Set([id]));
      expect(new Set(calls.map((call) => call.rawBody)).size).toBe(1);
      expect(await balances(member._id)).toEqual({ points_balance: 200, points_held: 0, points_available: 200 });
      const detail = await getRedemption(id);
      expect(detail.status).toBe('needs_review');
      expect(trailWithoutAttempts(detail)).toEqual(['pending', 'ledger:DEBIT', 'redeeming', 'needs_review']);
      const attempts = statusTrail(detail).filter((step: string) => step.startsWith('partner_call:'));
      expect(new Set(attempts)).toEqual(new Set(['partner_call:unknown']));
      expect(attempts.length).toBeLessThanOrEqual(calls.length);
      const listed = await readJson(
        await stack.api.request(`/v1/redemptions?member_id=${member._id}&status=needs_review`),
      );
      expect(listed.data.map((redemption: any) => redemption.id)).toEqual([id]);
      const handle = stack.client.workflow.getHandle(workflowIdOf(id));
      expect((await handle.describe()).typedSearchAttributes.get(RedemptionStatusKey)).toBe('needs_review');
      // The same request again answers with the review and changes nothing.
      const callsSoFar = partner.calls.length;
      const repeated = await again();
      expect(repeated.status).toBe(202);
      expect(await readJson(repeated)).toEqual({ id, status: 'needs_review' });
      expect(partner.calls.length).toBe(callsSoFar);
      const debits = (await foldLedger(stack.mongo.db, member._id)).entries.filter((entry) => entry.type === 'DEBIT');
      expect(debits).toHaveLength(1);
      await handle.executeUpdate(resolveReviewUpdate, { args: [{ outcome: 'fulfilled' }] });
    });

    it('completes without a refund when an operator resolves the review as fulfilled', async () => {
      const { member, id } = await redemptionInReview();
      const handle = stack.client.workflow.getHandle(workflowIdOf(id));
      const resolved = await handle.executeUpdate(resolveReviewUpdate, {
        args: [{ outcome: 'fulfilled', operator: 'ops-lina', reason: 'Flavours confirmed the coupon was redeemed' }],
      });
      expect(resolved).toMatchObject({ id, status: 'completed' });
      expect(await balances(member._id)).toEqual({ points_balance: 200, points_held: 0, points_available: 200 });
      const fold = await foldLedger(stack.mongo.db, member._id);
      expect(fold.entries.map((entry) => entry.type)).not.toContain('REFUND');
      const detail = await getRedemption(id);
      expect(detail.status).toBe('completed');
      expect(trailWithoutAttempts(detail).slice(-3)).toEqual([
        'needs_review',
        'review_resolved:fulfilled',
        'completed',
      ]);
      expect(detail.events.find((event: any) => event.type === 'review_resolved').data).toEqual({
        outcome: 'fulfilled',
        operator: 'ops-lina',
        reason: 'Flavours confirmed the coupon was redeemed',
      });
      await recordHistory(stack.client, 'review-fulfilled', workflowIdOf(id));
    });

    it('compensates and refunds when an operator resolves the review as not fulfilled with the temporal CLI', async () => {
      const { member, id } = await redemptionInReview();
      const cli = await resolveTemporalExecutable(() => undefined);
      if (cli.type !== 'existing-path')
        throw new Error('This test sends the update with the provisioned temporal CLI.');
      const { stdout } = await promisify(execFile)(cli.path, [
        'workflow',
        'update',
        'execute',
        '--address',
        stack.config.temporal.address,
        '--namespace',
        stack.config.temporal.namespace,
        '--workflow-id',
        workflowIdOf(id),
        '--name',
        'resolveReview',
        '--input',
        JSON.stringify({ outcome: 'not_fulfilled', operator: 'ops-omar', reason: 'Flavours has no record of it' }),
      ]);
      expect(stdout).toContain('compensated');
      expect(await balances(member._id)).toEqual({ points_balance: 300, points_held: 0, points_available: 300 });
      const { entries, ...folded } = await foldLedger(stack.mongo.db, member._id);
      expect(folded).toEqual(await balances(member._id));
      expect(entries.map((entry) => entry.type)).toEqual(['EARN', 'DEBIT', 'REFUND']);
      const detail = await getRedemption(id);
      expect(detail.status).toBe('compensated');
      expect(detail.events.find((event: any) => event.type === 'review_resolved').data).toEqual({
        outcome: 'not_fulfilled',
        operator: 'ops-omar',
        reason: 'Flavours has no record of it',
      });
      const voided = await stack.api.request('/v1/orders', {
        method: 'POST',
        json: { order_id: `o-${id}`, coupon_code: detail.coupon_code },
      });
      expect((await readJson(voided)).error.code).toBe('coupon_void');
      await recordHistory(stack.client, 'needs-review-not-fulfilled', workflowIdOf(id));
    });

    it('completes without review when an unanswered attempt is followed by a 2xx', async () => {
      const member = await createMemberWithPoints(stack.mongo.db, 300);
      const option = await createOption(stack.mongo.db, { partner: 'flavours' });
      const before = partner.calls.length;
      partner.queue({ hang: true });
      const res = await redeem({ customer_email: member.email, redemption_option_id: option.id });
      expect(res.status).toBe(201);
      const body = await readJson(res);
      expect(body.status).toBe('completed');
      const calls = partner.calls.slice(before);
      expect(calls).toHaveLength(2);
      expect(new Set(calls.map((call) => call.headers['idempotency-key']))).toEqual(new Set([body.id]));
      expect(statusTrail(await getRedemption(body.id))).toEqual([
        'pending',
        'ledger:DEBIT',
        'redeeming',
        'partner_call:unknown',
        'partner_call:accepted',
        'completed',
      ]);
      expect(await balances(member._id)).toEqual({ points_balance: 200, points_held: 0, points_available: 200 });
    });
  });
});
