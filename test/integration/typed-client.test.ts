/**
 * The typed client (client/) against the real servers: every call below is checked at compile time against the types
 * generated from the API's OpenAPI document, and at run time against what the API answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoyaltyClient, isWholeRedemption, type LoyaltyClient, type Schemas } from '../../client';
import { TEST_API_KEY, startTestStack, uniqueName, type TestStack } from '../harness/stack';

function settled(answer: Schemas['Redemption'] | Schemas['RedemptionRef'] | undefined): Schemas['Redemption'] {
  if (answer === undefined || !isWholeRedemption(answer)) throw new Error(`not settled: ${JSON.stringify(answer)}`);
  return answer;
}

describe('the typed client over HTTP', () => {
  let stack: TestStack;
  let loyalty: LoyaltyClient;

  beforeAll(async () => {
    stack = await startTestStack();
    loyalty = createLoyaltyClient({ baseUrl: stack.api.url, apiKey: TEST_API_KEY });
  });
  afterAll(() => stack?.close());

  /** A member with `points`, created and credited through the client. */
  async function memberWithPoints(points: number) {
    const email = `${uniqueName('member')}@example.com`;
    const created = await loyalty.POST('/v1/members', { body: { email } });
    expect(created.response.status).toBe(201);
    const id = created.data!.id;
    const earned = await loyalty.POST('/v1/members/{id}/points', {
      params: { path: { id } },
      body: { points, reason: 'welcome bonus', idempotency_key: `welcome:${id}` },
    });
    expect(earned.data?.member.points_balance).toBe(points);
    return { id, email };
  }

  async function option(costPoints: number) {
    const { data } = await loyalty.POST('/v1/redemption-options', {
      body: { name: 'Free coffee', type: 'free_item', cost_points: costPoints, item_plu: 'COF-01', currency: 'SAR' },
    });
    return data!;
  }

  it('redeems points once per Idempotency-Key, and reads the redemption, its list and the balance back', async () => {
    const member = await memberWithPoints(500);
    const coffee = await option(200);

    const redeem = () =>
      loyalty.POST('/v1/redemptions', {
        params: { header: { 'Idempotency-Key': `till-1:${member.id}` } },
        body: { customer_email: member.email, redemption_option_id: coffee.id },
      });
    const first = await redeem();
    expect(first.response.status).toBe(201);
    const redemption = settled(first.data);
    expect(redemption).toMatchObject({ status: 'completed', member_id: member.id, points: 200 });
    expect(redemption.coupon_code).toBe(redemption.reward_text);
    expect((await redeem()).data?.id).toBe(redemption.id);

    const detail = await loyalty.GET('/v1/redemptions/{id}', { params: { path: { id: redemption.id } } });
    expect(detail.data?.events.map((event) => event.status ?? event.type)).toEqual([
      'pending',
      'ledger',
      'redeeming',
      'completed',
    ]);
    const list = await loyalty.GET('/v1/redemptions', { params: { query: { member_id: member.id } } });
    expect(list.data?.data.map(({ id }) => id)).toEqual([redemption.id]);
    expect(list.data?.total).toBe(1);
    const balances = await loyalty.GET('/v1/members/{id}', { params: { path: { id: member.id } } });
    expect(balances.data).toMatchObject({ points_balance: 300, points_held: 0, points_available: 300 });
  });

  it('holds the points of a delayed redemption and captures them with the order that uses its coupon', async () => {
    const member = await memberWithPoints(300);
    const coffee = await option(100);
    const held = await loyalty.POST('/v1/redemptions', {
      body: { customer_email: member.email, redemption_option_id: coffee.id, delay_points_deduction: true },
    });
    const hold = settled(held.data);
    expect(hold.status).toBe('awaiting_order');

    const order = await loyalty.POST('/v1/orders', {
      body: { order_id: uniqueName('order'), coupon_code: hold.coupon_code!, branch_id: 'riyadh-01', subtotal: 4500 },
    });
    expect(order.response.status).toBe(200);
    expect(order.data?.redemptions).toEqual([{ id: hold.id, status: 'completed' }]);
    const balances = await loyalty.GET('/v1/members/{id}', { params: { path: { id: member.id } } });
    expect(balances.data).toMatchObject({ points_balance: 200, points_held: 0 });
  });

  it("answers a refusal with the API's error body, typed as such", async () => {
    const member = await memberWithPoints(50);
    const coffee = await option(100);
    const refused = await loyalty.POST('/v1/redemptions', {
      body: { customer_email: member.email, redemption_option_id: coffee.id },
    });
    expect(refused.response.status).toBe(422);
    expect(refused.data).toBeUndefined();
    expect(refused.error?.error.code).toBe('insufficient_points');

    const missing = await loyalty.GET('/v1/redemptions/{id}', { params: { path: { id: 'rdm_unknown' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error).toMatchObject({ code: 'not_found', details: [] });

    const unknownKey = createLoyaltyClient({ baseUrl: stack.api.url, apiKey: 'not-a-key' });
    const unauthenticated = await unknownKey.GET('/v1/redemption-options');
    expect(unauthenticated.response.status).toBe(401);
    expect(unauthenticated.error?.error.code).toBe('unauthenticated');
  });

  it('does not compile a request that the server refuses', async () => {
    // @ts-expect-error: a redemption names its member by one identifier at least
    const nameless = await loyalty.POST('/v1/redemptions', { body: { redemption_option_id: 1 } });
    expect(nameless.response.status).toBe(400);
    expect(nameless.error?.error.code).toBe('invalid_request');

    const coupon = 'AAAA-BBBB-CCCC-DDDD';
    const bothCouponFields = await loyalty.POST('/v1/orders', {
      // @ts-expect-error: an order names its coupons in one field of the two
      body: { order_id: uniqueName('order'), coupon_code: coupon, coupon_codes: [coupon] },
    });
    expect(bothCouponFields.response.status).toBe(400);
    expect(bothCouponFields.error?.error.code).toBe('invalid_request');
  });
});
