/**
 * A quote before redeeming, against the real servers: it answers what Create Redemption then decides, in its codes,
 * lists every reason at once, and changes nothing: no ledger entry, no limit slot, no redemption, no workflow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOptionOverApi, redeemOverApi } from '../harness/api-calls';
import { createMemberWithPoints } from '../harness/fixtures';
import { readJson, startTestStack, type TestStack } from '../harness/stack';

/** How long the API reuses an option it read; the option changed in the store by hand below waits it out. */
const OPTIONS_CACHE_MS = 1_000;

describe('quoting a redemption', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ env: { OPTIONS_CACHE_MS: String(OPTIONS_CACHE_MS) } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const createOption = (extra: Record<string, unknown> = {}) => createOptionOverApi(stack, extra);

  async function quote(body: Record<string, unknown>) {
    const res = await stack.api.request('/v1/redemptions/quote', { method: 'POST', json: body });
    return { status: res.status, body: await readJson(res) };
  }

  const redeem = (body: Record<string, unknown>) => redeemOverApi(stack, body);

  /**
   * What a quote must leave as it found: every collection a redemption writes to, and this stack's workflows (on its
   * task queues: other suites' schedules start workflows of their own on the same server meanwhile).
   */
  async function footprint() {
    const { db } = stack.mongo;
    const counts = await Promise.all(
      ['ledger', 'redemptions', 'limit_usage'].map((name) => db.collection(name).countDocuments()),
    );
    const workflows: string[] = [];
    for await (const execution of stack.client.workflow.list()) {
      if (execution.taskQueue.startsWith(stack.config.temporal.taskQueue)) workflows.push(execution.workflowId);
    }
    return { counts, workflows: workflows.sort() };
  }

  it('quotes an eligible redemption with its cost and what the member keeps, changing nothing', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption({ limits: { per_member: { count: 1, period: 'day' }, stock: 10 } });
    const body = { customer_email: member.email, redemption_option_id: option.id };
    const before = await footprint();

    const answer = await quote(body);

    expect(answer).toEqual({
      status: 200,
      body: { eligible: true, points: 100, points_available: 500, points_available_after: 400, reasons: [] },
    });
    expect(await footprint()).toEqual(before);
    // The slot the quote found free is still there for the redemption itself.
    const redeemed = await redeem(body);
    expect([redeemed.status, redeemed.body.status, redeemed.body.points]).toEqual([201, 'completed', 100]);
  });

  it('answers, as its first reason, the code Create Redemption then refuses with', async () => {
    const rich = await createMemberWithPoints(stack.mongo.db, 1_000);
    const poor = await createMemberWithPoints(stack.mongo.db, 50);
    const plain = await createOption();
    const inactive = await createOption({ active: false });
    const notYet = await createOption({ starts_at: new Date(Date.now() + 86_400_000).toISOString() });
    const variable = await createOption({
      type: 'variable',
      cost_points: undefined,
      item_plu: undefined,
      points_per_unit: 10,
      unit_value: 100,
    });
    const oncePerDay = await createOption({ limits: { per_member: { count: 1, period: 'day' } } });
    const stockOfOne = await createOption({ limits: { stock: 1 } });
    const someoneElse = await createMemberWithPoints(stack.mongo.db, 1_000);
    expect((await redeem({ customer_email: rich.email, redemption_option_id: oncePerDay.id })).status).toBe(201);
    expect((await redeem({ customer_email: someoneElse.email, redemption_option_id: stockOfOne.id })).status).toBe(201);

    const cases: Array<[string, Record<string, unknown>]> = [
      ['insufficient_points', { customer_email: poor.email, redemption_option_id: plain.id }],
      ['option_inactive', { customer_email: rich.email, redemption_option_id: inactive.id }],
      ['option_inactive', { customer_email: rich.email, redemption_option_id: notYet.id }],
      ['member_not_found', { customer_email: 'nobody@example.com', redemption_option_id: plain.id }],
      ['option_not_found', { customer_email: rich.email, redemption_option_id: 987_654 }],
      ['currency_not_supported', { customer_email: rich.email, redemption_option_id: plain.id, currency: 'EUR' }],
      ['points_required', { customer_email: rich.email, redemption_option_id: variable.id }],
      ['invalid_points', { customer_email: rich.email, redemption_option_id: variable.id, point_redemptions: 15 }],
      ['member_limit_reached', { customer_email: rich.email, redemption_option_id: oncePerDay.id }],
      ['out_of_stock', { customer_email: rich.email, redemption_option_id: stockOfOne.id }],
    ];
    for (const [code, body] of cases) {
      const quoted = await quote(body);
      expect([quoted.status, quoted.body.eligible, quoted.body.reasons[0]], code).toEqual([200, false, code]);
      expect(quoted.body.points_available_after, code).toBeNull();
      const refused = await redeem(body);
      expect([refused.status, refused.body.error?.code], code).toEqual([422, code]);
    }
  });

  it('lists every reason at once, in the order Create Redemption judges them', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 150);
    const option = await createOption({ limits: { per_member: { count: 1, period: 'day' } } });
    const body = { customer_email: member.email, redemption_option_id: option.id };
    expect((await redeem(body)).status).toBe(201);

    expect((await quote(body)).body).toEqual({
      eligible: false,
      points: 100,
      points_available: 50,
      points_available_after: null,
      reasons: ['insufficient_points', 'member_limit_reached'],
    });
    expect((await quote({ ...body, customer_email: 'stranger@example.com', currency: 'EUR' })).body).toEqual({
      eligible: false,
      points: 100,
      points_available: null,
      points_available_after: null,
      reasons: ['member_not_found', 'currency_not_supported'],
    });
  });

  it('refuses a body Create Redemption would refuse with 400, changing nothing', async () => {
    const before = await footprint();
    for (const body of [{}, { customer_email: 'a@example.com' }, { redemption_option_id: 1 }, { x: 1 }]) {
      const answer = await quote(body);
      expect([answer.status, answer.body.error?.code], JSON.stringify(body)).toEqual([400, 'invalid_request']);
    }
    expect(await footprint()).toEqual(before);
  });

  it('sees an option changed in the store by hand once OPTIONS_CACHE_MS has passed, and a new one at once', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption();
    const body = { customer_email: member.email, redemption_option_id: option.id };
    expect((await quote(body)).body.eligible).toBe(true);

    await stack.mongo.db.collection('redemption_options').updateOne({ _id: option.id }, { $set: { active: false } });
    expect((await quote(body)).body.eligible).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, OPTIONS_CACHE_MS + 100));
    expect((await quote(body)).body.reasons).toEqual(['option_inactive']);
    const refused = await redeem(body);
    expect([refused.status, refused.body.error?.code]).toEqual([422, 'option_inactive']);

    const next = { ...body, redemption_option_id: option.id + 1 };
    expect((await quote(next)).body.reasons).toEqual(['option_not_found']);
    await createOption();
    expect((await quote(next)).body.eligible).toBe(true);
  });
});
