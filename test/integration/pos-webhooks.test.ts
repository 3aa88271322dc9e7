import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../store/ledger';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { readJson, startTestStack, uniqueName, type TestStack } from '../harness/stack';
import { startStubPartner, type StubPartner } from '../harness/stub-partner';

const seed = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/seeds/${name}`, import.meta.url), 'utf8'));
const FLAVOURS_SEED = seed('flavours-redeem-reward.json');
const BRANCH = FLAVOURS_SEED.branch_id as string;

describe('POS reward webhooks', () => {
  let stack: TestStack;
  let flavours: StubPartner;

  beforeAll(async () => {
    flavours = await startStubPartner();
    stack = await startTestStack({
      env: {
        FLAVOURS_INBOUND_SECRET: 'flavours-inbound',
        RETM_INBOUND_SECRET: 'retm-inbound',
        BONAT_INBOUND_SECRET: 'bonat-inbound',
        FLAVOURS_REDEEM_URL: flavours.redeemUrl,
        REDEMPTION_SYNC_WAIT_MS: '15000',
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await flavours?.close();
  });

  /** The seed's example with real values: a coupon, and the date in the seed's format. */
  const body = (rewardCode: string, overrides: Record<string, unknown> = {}) => ({
    ...FLAVOURS_SEED,
    reward_code: rewardCode,
    date: '2026-11-22 18:30:00',
    timestamp: '1795379400',
    ...overrides,
  });
  const call = (partner: string, hook: string, json: unknown, headers: Record<string, string>) =>
    fetch(`${stack.api.url}/webhooks/${partner}/${hook}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(json),
    });
  const asFlavours = { 'api-token': 'flavours-inbound' };
  const asRetm = { authorization: 'Bearer retm-inbound' };

  async function delayedCoupon(optionOverrides: Record<string, unknown> = {}) {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const option = await createOption(stack.mongo.db, {
      partner: 'flavours',
      branch_ids: [BRANCH],
      business_ref: 'dev',
      ...optionOverrides,
    });
    const res = await stack.api.request('/v1/redemptions', {
      method: 'POST',
      json: { customer_email: member.email, redemption_option_id: option.id, delay_points_deduction: true },
    });
    expect(res.status).toBe(201);
    return { member, redemption: await readJson(res) };
  }

  it('lets the order a POS redeemed be cancelled by its items; by amount it names no subtotal, so that is refused', async () => {
    const redeemed = async (optionOverrides: Record<string, unknown> = {}) => {
      const { member, redemption } = await delayedCoupon(optionOverrides);
      expect((await call('flavours', 'redeem_reward', body(redemption.coupon_code), asFlavours)).status).toBe(200);
      // The POS order is named by the partner and the coupon (see posOrderOf).
      const cancel = (json: unknown) =>
        stack.api.request(`/v1/orders/flavours:${redemption.coupon_code}/cancel`, {
          method: 'POST',
          headers: { 'Idempotency-Key': uniqueName('cancel') },
          json,
        });
      return { member, redemption, cancel };
    };

    const item = await redeemed();
    const byItem = await item.cancel({ items: [{ plu: 'COF-01', quantity: 1 }] });
    expect(byItem.status).toBe(200);
    expect((await readJson(byItem)).refunds).toEqual([{ id: item.redemption.id, points: 100 }]);
    expect(await new Ledger(stack.mongo.db).balances(item.member._id)).toMatchObject({ points_balance: 1_000 });

    const orderLevel = await redeemed({ type: 'discount_amount', item_plu: undefined, discount: 500 });
    const byAmount = await orderLevel.cancel({ amount: 500 });
    expect(byAmount.status).toBe(422);
    expect((await readJson(byAmount)).error.code).toBe('order_subtotal_unknown');
    expect(await new Ledger(stack.mongo.db).balances(orderLevel.member._id)).toMatchObject({ points_balance: 900 });
  });

  it('answers check_reward with 200 {} for a live coupon at its business and branch, in any letter case', async () => {
    const { redemption } = await delayedCoupon();
    const res = await call('flavours', 'check_reward', body(redemption.coupon_code.toLowerCase()), asFlavours);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({});
  });

  it('refuses a coupon for another branch or business with 422, and an unknown one with 404', async () => {
    const { redemption } = await delayedCoupon();
    const wrongBranch = await call(
      'flavours',
      'check_reward',
      body(redemption.coupon_code, { branch_id: 'elsewhere' }),
      asFlavours,
    );
    expect(wrongBranch.status).toBe(422);
    expect((await readJson(wrongBranch)).error.code).toBe('branch_not_allowed');
    const wrongBusiness = await call(
      'flavours',
      'check_reward',
      body(redemption.coupon_code, { business_refrence: 'other' }),
      asFlavours,
    );
    expect((await readJson(wrongBusiness)).error.code).toBe('business_not_allowed');
    for (const hook of ['check_reward', 'redeem_reward']) {
      const noBusiness = await call(
        'flavours',
        hook,
        body(redemption.coupon_code, { business_refrence: '' }),
        asFlavours,
      );
      expect(noBusiness.status, hook).toBe(422);
      expect((await readJson(noBusiness)).error.code).toBe('business_not_allowed');
    }
    expect((await readJson(await stack.api.request(`/v1/redemptions/${redemption.id}`))).status).toBe('awaiting_order');
    const unknown = await call('flavours', 'check_reward', body('ZZZZ-ZZZZ-ZZZZ-ZZZZ'), asFlavours);
    expect(unknown.status).toBe(404);
    expect((await readJson(unknown)).error.code).toBe('coupon_not_found');
  });

  it('captures the held points on redeem_reward without calling the same partner back, once however often it is sent', async () => {
    const { member, redemption } = await delayedCoupon();
    const callsBefore = flavours.calls.length;
    const first = await call('flavours', 'redeem_reward', body(redemption.coupon_code), asFlavours);
    expect(first.status).toBe(200);
    expect(await readJson(first)).toEqual({});
    const again = await call('flavours', 'redeem_reward', body(redemption.coupon_code), asFlavours);
    expect(again.status).toBe(200);
    const respelled = redemption.coupon_code.replace(/-/g, '').toLowerCase();
    const againRespelled = await call('flavours', 'redeem_reward', body(respelled), asFlavours);
    expect(againRespelled.status).toBe(200);
    expect(await new Ledger(stack.mongo.db).balances(member._id)).toEqual({
      points_balance: 900,
      points_held: 0,
      points_available: 900,
    });
    expect(flavours.calls.length).toBe(callsBefore);
    const detail = await readJson(await stack.api.request(`/v1/redemptions/${redemption.id}`));
    expect(detail).toMatchObject({ status: 'completed', order_id: `flavours:${redemption.coupon_code}` });

    const used = await call('flavours', 'check_reward', body(redemption.coupon_code), asFlavours);
    expect(used.status).toBe(409);
    const elsewhere = await call('retm', 'redeem_reward', body(redemption.coupon_code), asRetm);
    expect(elsewhere.status).toBe(409);
    expect((await readJson(elsewhere)).error.code).toBe('coupon_already_used');
  });

  it('calls the fulfilling partner when another POS redeems the coupon', async () => {
    const { redemption } = await delayedCoupon();
    const callsBefore = flavours.calls.length;
    const res = await call('retm', 'redeem_reward', body(redemption.coupon_code), asRetm);
    expect(res.status).toBe(200);
    expect(flavours.calls.length).toBe(callsBefore + 1);
    expect(flavours.calls.at(-1)!.body).toMatchObject({ reward_code: redemption.coupon_code, branch_id: BRANCH });
  });

  it('answers 422 for an expired coupon', async () => {
    const { redemption } = await delayedCoupon({ coupon_ttl_seconds: 1 });
    await expect
      .poll(async () => (await readJson(await stack.api.request(`/v1/redemptions/${redemption.id}`))).status, {
        timeout: 10_000,
      })
      .toBe('expired');
    const res = await call('flavours', 'check_reward', body(redemption.coupon_code), asFlavours);
    expect(res.status).toBe(422);
    expect((await readJson(res)).error.code).toBe('coupon_expired');
  });

  it('refuses wrong, missing or misplaced credentials with 401 and changes nothing', async () => {
    const { member, redemption } = await delayedCoupon();
    const attempts: [string, Record<string, string>][] = [
      ['flavours', {}],
      ['flavours', { 'api-token': 'wrong' }],
      ['flavours', { authorization: 'Bearer flavours-inbound' }],
      ['retm', { 'api-token': 'retm-inbound' }],
      ['retm', { authorization: 'Bearer wrong' }],
      ['bonat', { 'api-token': 'flavours-inbound' }],
      // No LOYAPRO_INBOUND_SECRET is configured, so Loyapro's webhooks accept nothing.
      ['loyapro', { 'api-token': '' }],
    ];
    for (const [partner, headers] of attempts) {
      const res = await call(partner, 'redeem_reward', body(redemption.coupon_code), headers);
      expect(res.status, `${partner} ${JSON.stringify(headers)}`).toBe(401);
      expect((await readJson(res)).error.code).toBe('unauthenticated');
    }
    expect((await new Ledger(stack.mongo.db).balances(member._id)).points_held).toBe(100);
    const detail = await readJson(await stack.api.request(`/v1/redemptions/${redemption.id}`));
    expect(detail.status).toBe('awaiting_order');
  });

  it('answers 404 for a partner that sends no reward webhooks', async () => {
    for (const partner of ['acme', 'deliverect']) {
      const res = await call(partner, 'check_reward', body('ABCD'), asFlavours);
      expect(res.status, partner).toBe(404);
      expect((await readJson(res)).error.code).toBe('partner_not_found');
    }
  });

  it('refuses a malformed body with 400 naming the fields, and an oversized one with 413', async () => {
    const malformed = await call(
      'bonat',
      'check_reward',
      { reward_code: '', date: '22/11/2026' },
      { 'api-token': 'bonat-inbound' },
    );
    expect(malformed.status).toBe(400);
    const paths = (await readJson(malformed)).error.details.map((detail: any) => detail.path);
    expect(paths).toEqual(
      expect.arrayContaining(['reward_code', 'business_refrence', 'branch_id', 'date', 'timestamp']),
    );
    const oversized = await call('flavours', 'check_reward', body('X', { padding: 'x'.repeat(100_000) }), asFlavours);
    expect(oversized.status).toBe(413);
  });
});
