import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY, readJson, startTestStack, type TestStack } from '../harness/stack';

const amountOption = {
  name: '10 SAR off',
  type: 'discount_amount',
  cost_points: 100,
  discount: 1000,
  currency: 'SAR',
};

describe('redemption options API', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(() => stack?.close());

  const post = (json: unknown) => stack.api.request('/v1/redemption-options', { method: 'POST', json });
  const get = (path: string) => stack.api.request(path);

  async function expectInvalid(body: unknown, path: string) {
    const res = await post(body);
    expect(res.status).toBe(400);
    const error = (await readJson(res)).error;
    expect(error.code).toBe('invalid_request');
    expect(error.details.map((detail: { path: string }) => detail.path)).toContain(path);
  }

  // Runs first: the ids of a fresh catalogue start at 1.
  it('numbers options 1, 2, 3 in creation order and answers 201 with the defaults applied', async () => {
    const created = [];
    for (const name of ['First', 'Second', 'Third']) {
      const res = await post({ ...amountOption, name });
      expect(res.status).toBe(201);
      created.push(await readJson(res));
    }
    expect(created.map((option) => option.id)).toEqual([1, 2, 3]);
    expect(created[0]).toEqual({
      id: 1,
      name: 'First',
      type: 'discount_amount',
      cost_points: 100,
      discount: 1000,
      currency: 'SAR',
      min_subtotal: 0,
      branch_ids: [],
      business_ref: '',
      partner: null,
      active: true,
      created_at: expect.any(String),
    });
  });

  it('gets an option by id', async () => {
    const res = await get('/v1/redemption-options/2');
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({ id: 2, name: 'Second', type: 'discount_amount' });
  });

  it('answers 404 for an unknown option id', async () => {
    const res = await get('/v1/redemption-options/9999');
    expect(res.status).toBe(404);
    expect((await readJson(res)).error.code).toBe('not_found');
  });

  it.each(['abc', '1.5', '0', '-3'])('answers 400 naming id for the non-positive-integer id %s', async (id) => {
    const res = await get(`/v1/redemption-options/${id}`);
    expect(res.status).toBe(400);
    expect((await readJson(res)).error.details[0].path).toBe('id');
  });

  it('accepts each type with its required fields and keeps what was given', async () => {
    const bodies = [
      { name: 'Half off', type: 'discount_percentage', cost_points: 500, discount: 5000, currency: 'SAR' },
      { name: 'Free coffee', type: 'free_item', cost_points: 300, item_plu: 'COF-1', currency: 'SAR' },
      { name: 'BOGO burger', type: 'buy_one_get_one_free', cost_points: 400, item_plu: 'BRG-1', currency: 'KWD' },
      {
        name: '5 off fries',
        type: 'item_discount_amount',
        cost_points: 50,
        item_plu: 'FRI-1',
        discount: 500,
        currency: 'SAR',
      },
      {
        name: '20% off cake',
        type: 'item_discount_percentage',
        cost_points: 80,
        item_plu: 'CAK-1',
        discount: 2000,
        currency: 'SAR',
      },
      {
        name: 'Points to money',
        type: 'variable',
        points_per_unit: 10,
        unit_value: 100,
        currency: 'SAR',
        min_subtotal: 2000,
        branch_ids: ['branch-1'],
        business_ref: 'biz-1',
        partner: 'flavours',
        active: false,
      },
    ];
    for (const body of bodies) {
      const res = await post(body);
      expect(res.status, body.type).toBe(201);
      expect(await readJson(res)).toMatchObject(body);
    }
  });

  it('refuses a variable option without points_per_unit, naming it', async () => {
    await expectInvalid({ name: 'V', type: 'variable', unit_value: 100, currency: 'SAR' }, 'points_per_unit');
  });

  it('refuses a variable option that sets cost_points', async () => {
    await expectInvalid(
      { name: 'V', type: 'variable', points_per_unit: 10, unit_value: 100, cost_points: 5, currency: 'SAR' },
      'cost_points',
    );
  });

  it('refuses a fixed option without cost_points', async () => {
    await expectInvalid({ name: 'A', type: 'discount_amount', discount: 100, currency: 'SAR' }, 'cost_points');
  });

  it('refuses an amount or percentage option without discount', async () => {
    await expectInvalid({ name: 'A', type: 'discount_amount', cost_points: 1, currency: 'SAR' }, 'discount');
    await expectInvalid({ name: 'P', type: 'discount_percentage', cost_points: 1, currency: 'SAR' }, 'discount');
  });

  it('refuses an item option without item_plu', async () => {
    await expectInvalid({ name: 'F', type: 'free_item', cost_points: 1, currency: 'SAR' }, 'item_plu');
  });

  it('refuses a percentage discount over 10000 basis points', async () => {
    await expectInvalid(
      { name: 'P', type: 'discount_percentage', cost_points: 1, discount: 10_001, currency: 'SAR' },
      'discount',
    );
  });

  it('refuses a coupon that would wait for its order longer than 90 days', async () => {
    await expectInvalid(
      { name: 'F', type: 'free_item', cost_points: 1, item_plu: 'X', currency: 'SAR', coupon_ttl_seconds: 7_776_001 },
      'coupon_ttl_seconds',
    );
  });

  // An option naming a business or branch longer than an order or a POS call may carry could never be redeemed there.
  it('refuses a business_ref or a branch id longer than the 200 characters an order may carry', async () => {
    await expectInvalid({ ...amountOption, business_ref: 'b'.repeat(201) }, 'business_ref');
    await expectInvalid({ ...amountOption, branch_ids: ['BR-1', 'b'.repeat(201)] }, 'branch_ids.1');
  });

  it('refuses an unknown type, an unknown currency, an unknown partner and an unknown field', async () => {
    await expectInvalid({ ...amountOption, type: 'cashback' }, 'type');
    await expectInvalid({ ...amountOption, currency: 'sar' }, 'currency');
    await expectInvalid({ ...amountOption, partner: 'nobody' }, 'partner');
    const res = await post({ ...amountOption, colour: 'red' });
    expect(res.status).toBe(400);
    expect((await readJson(res)).error.details[0].message).toMatch(/colour/);
  });

  it('lists the catalogue by id in the pagination envelope, page by page', async () => {
    const res = await get('/v1/redemption-options?per_page=4');
    expect(res.status).toBe(200);
    const page1 = await readJson(res);
    const path = `${stack.api.url}/v1/redemption-options`;
    expect(page1).toMatchObject({
      current_page: 1,
      from: 1,
      to: 4,
      total: 9,
      last_page: 3,
      per_page: 4,
      path,
      first_page_url: `${path}?per_page=4&page=1`,
      last_page_url: `${path}?per_page=4&page=3`,
      next_page_url: `${path}?per_page=4&page=2`,
      prev_page_url: null,
    });
    expect(page1.data.map((option: { id: number }) => option.id)).toEqual([1, 2, 3, 4]);
    expect(page1.links.map((link: { label: string }) => link.label)).toEqual(['« Previous', '1', '2', '3', 'Next »']);

    const page3 = await readJson(await get(page1.last_page_url.slice(stack.api.url.length)));
    expect(page3).toMatchObject({ current_page: 3, from: 9, to: 9, next_page_url: null });
    expect(page3.data.map((option: { id: number }) => option.id)).toEqual([9]);
  });

  it('builds page links from the public base URL whatever the Host header says, and survives a malformed one', async () => {
    const { port } = new URL(stack.api.url);
    const withHost = (host: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/v1/redemption-options?per_page=2', setHost: false },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
          },
        );
        req.setHeader('authorization', `Bearer ${TEST_API_KEY}`);
        if (host !== '') req.setHeader('host', host);
        req.on('error', reject).end();
      });
    const answers: Record<string, number> = {};
    for (const host of ['evil.example', '[::1', 'evil.example:99999', '', 'a b']) {
      const { status, text } = await withHost(host);
      answers[host] = status;
      if (status === 200) {
        expect(JSON.parse(text).next_page_url).toBe(`${stack.api.url}/v1/redemption-options?per_page=2&page=2`);
      }
    }
    // A missing Host is refused by Node's HTTP server before it reaches us: 400, never 500.
    expect(answers).toEqual({ 'evil.example': 200, '[::1': 200, 'evil.example:99999': 200, '': 400, 'a b': 200 });
  });

  it('sorts the catalogue by name or newest first, and refuses an unknown sort field', async () => {
    const byName = await readJson(await get('/v1/redemption-options?sort=name&per_page=3'));
    expect(byName.data.map((option: { name: string }) => option.name)).toEqual([
      '20% off cake',
      '5 off fries',
      'BOGO burger',
    ]);
    expect(byName.next_page_url).toContain('sort=name');

    const newest = await readJson(await get('/v1/redemption-options?sort=-id&per_page=2'));
    expect(newest.data.map((option: { id: number }) => option.id)).toEqual([9, 8]);

    const res = await get('/v1/redemption-options?sort=cost_points');
    expect(res.status).toBe(400);
    expect((await readJson(res)).error.details[0].path).toBe('sort');
  });

  it('refuses per_page over 100 with 400', async () => {
    const res = await get('/v1/redemption-options?per_page=101');
    expect(res.status).toBe(400);
    expect((await readJson(res)).error.details[0].path).toBe('per_page');
  });

  it('describes the option routes in the OpenAPI document', async () => {
    const document = await readJson(await fetch(`${stack.api.url}/openapi.json`));
    expect(document.paths['/v1/redemption-options'].post).toBeDefined();
    expect(document.paths['/v1/redemption-options'].get).toBeDefined();
    expect(document.paths['/v1/redemption-options/{id}'].get).toBeDefined();
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['RedemptionOption', 'RedemptionOptionInput', 'RedemptionOptionPage']),
    );
  });
});
