/**
 * `npm run demo`: against a running `npm start`, sends each partner seed's example request through the product,
 * with real credentials and signatures, and prints what happened at each step. Exits non-zero if a step does not
 * answer as the product promises.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deliverectRedemptionId } from '../application/deliverect-inbox';
import { DEV_API_KEY, devInboundSecret } from '../config/env';
import type { PartnerName } from '../domain/partners';

const api = (process.env.DEMO_API_URL ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
const apiKey = process.env.API_KEYS?.split(',')[0]?.trim() || DEV_API_KEY;
const secret = (partner: PartnerName) =>
  process.env[`${partner.toUpperCase()}_INBOUND_SECRET`] || devInboundSecret(partner);
const example = (path: string) =>
  JSON.parse(readFileSync(new URL(`../test/fixtures/${path}`, import.meta.url), 'utf8'));

let failures = 0;

async function call(method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}) {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, raw: body };
}

const v1 = (method: string, path: string, json?: unknown) =>
  call(method, `/v1${path}`, { json, headers: { authorization: `Bearer ${apiKey}` } });

function step(title: string, answer: { status: number; body?: unknown }, expected: number, note = ''): void {
  const ok = answer.status === expected;
  if (!ok) failures += 1;
  const shown = JSON.stringify(answer.body);
  console.log(
    `${ok ? '✓' : '✗'} ${title}\n    → ${answer.status}${ok ? '' : ` (expected ${expected})`} ${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}${note ? `\n    ${note}` : ''}`,
  );
}

/** Polls a redemption until it reaches `wanted` (or 10 s pass), then reports it as a step. */
async function expectStatus(title: string, id: string, wanted: string, memberId: string): Promise<void> {
  let status = 'not recorded yet';
  for (let attempt = 0; attempt < 50 && status !== wanted; attempt++) {
    const { body } = await v1('GET', `/redemptions/${id}`);
    status = body?.status ?? status;
    if (status !== wanted) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  step(`${title}: ${status}`, { status: status === wanted ? 200 : 0, body: await pointsOf(memberId) }, 200);
}

async function findOrCreateOption(input: Record<string, unknown>) {
  const { body } = await v1('GET', '/redemption-options?per_page=100');
  return (
    body.data.find((option: { name: string }) => option.name === input.name) ??
    (await v1('POST', '/redemption-options', input)).body
  );
}

const pointsOf = async (memberId: string) => {
  const { body } = await v1('GET', `/members/${memberId}`);
  return `balance ${body.points_balance}, held ${body.points_held}, available ${body.points_available}`;
};

async function main() {
  console.log(`Demo against ${api}\n`);
  step('The service is ready', await call('GET', '/readyz'), 200);

  const run = Date.now().toString(36);
  const flavoursSeed = example('seeds/flavours-redeem-reward.json');
  const deliverectSeed = example('deliverect/loyalty-programs-request.json');
  const member = await v1('POST', '/members', {
    name: 'Demo customer',
    email: `demo-${run}@example.com`,
    phone_number: `+3120${Date.now().toString().slice(-7)}`,
  });
  step('A member signs up', member, 201);
  const memberId = member.body.id as string;
  step(
    'They earn 2000 points',
    await v1('POST', `/members/${memberId}/points`, { points: 2000, reason: 'demo', idempotency_key: `demo-${run}` }),
    201,
  );

  console.log('\n— Flavours POS (seed 000): a delayed redemption captured by redeem_reward');
  const coffee = await findOrCreateOption({
    name: 'Demo: free coffee at the Flavours branch',
    type: 'free_item',
    cost_points: 300,
    item_plu: 'DRN-01',
    currency: 'SAR',
    partner: 'flavours',
    business_ref: flavoursSeed.business_refrence,
    branch_ids: [flavoursSeed.branch_id],
  });
  const delayed = await v1('POST', '/redemptions', {
    customer_email: member.body.email,
    redemption_option_id: coffee.id,
    delay_points_deduction: true,
  });
  step(
    'Create Redemption with delay_points_deduction: points held, coupon issued',
    delayed,
    201,
    await pointsOf(memberId),
  );
  const coupon = delayed.body.reward_text as string;
  const now = new Date().toISOString();
  const rewardBody = {
    ...flavoursSeed,
    reward_code: coupon,
    date: now.slice(0, 19).replace('T', ' '),
    timestamp: String(Math.floor(Date.parse(now) / 1000)),
  };
  const asFlavours = { 'api-token': secret('flavours') };
  step(
    'Flavours check_reward (api-token)',
    await call('POST', '/webhooks/flavours/check_reward', { json: rewardBody, headers: asFlavours }),
    200,
  );
  step(
    'Flavours check_reward with a wrong token is refused',
    await call('POST', '/webhooks/flavours/check_reward', { json: rewardBody, headers: { 'api-token': 'wrong' } }),
    401,
  );
  step(
    'Flavours redeem_reward captures the held points',
    await call('POST', '/webhooks/flavours/redeem_reward', { json: rewardBody, headers: asFlavours }),
    200,
    await pointsOf(memberId),
  );
  step(
    'The same redeem_reward again changes nothing',
    await call('POST', '/webhooks/flavours/redeem_reward', { json: rewardBody, headers: asFlavours }),
    200,
    await pointsOf(memberId),
  );
  step(
    'RETM check_reward (bearer) now says the coupon is used',
    await call('POST', '/webhooks/retm/check_reward', {
      json: rewardBody,
      headers: { authorization: `Bearer ${secret('retm')}` },
    }),
    409,
  );
  const captured = await v1('GET', `/redemptions/${delayed.body.id}`);
  step(
    'The redemption completed, with its audit trail',
    {
      status: captured.status,
      body: captured.body.events.map((event: { type: string; status?: string }) => event.status ?? event.type),
    },
    200,
  );

  console.log('\n— Deliverect (seed 003): programmes, a loyalty order, and its cancellation');
  const discount = await findOrCreateOption({
    name: 'Demo: 1 EUR off the order',
    type: 'discount_amount',
    cost_points: 100,
    discount: 100,
    currency: 'EUR',
  });
  const customer = {
    ...deliverectSeed.order.customer,
    email: member.body.email,
    phoneNumber: member.body.phone_number,
  };
  const programsRequest = { ...deliverectSeed, order: { ...deliverectSeed.order, customer } };
  const signed = (json: unknown) => {
    const raw = JSON.stringify(json);
    return {
      raw,
      headers: {
        'x-server-authorization-hmac-sha256': createHmac('sha256', secret('deliverect')).update(raw).digest('hex'),
      },
    };
  };
  const deliverect = async (path: string, json: unknown) => {
    const { raw, headers } = signed(json);
    const res = await fetch(`${api}/webhooks/deliverect/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: raw,
    });
    return {
      status: res.status,
      body: (await res.json()) as { programId: string; type: string; applicable: boolean }[],
    };
  };
  const programs = await deliverect('loyalty-programs', programsRequest);
  step(
    'loyalty-programs (HMAC-signed): the member’s programmes for this basket',
    {
      status: programs.status,
      body: programs.body.map(
        (p: { programId: string; type: string; applicable: boolean }) =>
          `${p.programId} ${p.type} ${p.applicable ? 'applicable' : 'not applicable'}`,
      ),
    },
    200,
  );
  const orderId = `demo-${run}`;
  const order = {
    ...programsRequest,
    orderId,
    order: {
      ...programsRequest.order,
      discounts: [{ ...deliverectSeed.order.discounts[0], programId: String(discount.id) }],
    },
  };
  step('A loyalty order redeems a programme: answered at once', await deliverect('orders', order), 200);
  const redemptionId = deliverectRedemptionId(orderId, discount.id);
  await expectStatus(`Its redemption ${redemptionId}`, redemptionId, 'completed', memberId);
  step(
    'The order is cancelled',
    await deliverect('orders/cancel', { orderId, isCancelled: true, cancellationReason: 'demo' }),
    200,
  );
  await expectStatus('Its redemption', redemptionId, 'refunded', memberId);

  console.log(failures === 0 ? '\nDemo ran clean.' : `\n${failures} step(s) did not answer as expected.`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(`Demo failed: ${(error as Error).message}. Is \`npm start\` running at ${api}?`);
  process.exitCode = 1;
});
