import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../store/ledger';
import { readJson, startTestStack, TEST_API_KEY, uniqueName, type TestStack } from '../harness/stack';

const OTHER_CLIENT_KEY = 'other-till-key';

describe('members API', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      worker: false,
      env: { API_KEYS: `${TEST_API_KEY},other-till:${OTHER_CLIENT_KEY}` },
    });
  });
  afterAll(() => stack?.close());

  const post = (path: string, json: unknown) => stack.api.request(path, { method: 'POST', json });
  const get = (path: string) => stack.api.request(path);

  async function createMember(fields: Record<string, unknown> = {}) {
    const res = await post('/v1/members', { external_id: uniqueName('ext'), ...fields });
    expect(res.status).toBe(201);
    return readJson(res);
  }

  async function changePoints(memberId: string, points: number, key = uniqueName('key'), reason = 'test') {
    return post(`/v1/members/${memberId}/points`, { points, reason, idempotency_key: key });
  }

  it('creates a member with every identifier, lower-casing the email, and answers 201 with zero balances', async () => {
    const res = await post('/v1/members', {
      email: 'Sara.Ahmed@Example.COM',
      phone_number: '+966501234567',
      pos_account_id: 'pos-1',
      external_id: 'ext-1',
      name: 'Sara Ahmed',
    });
    expect(res.status).toBe(201);
    const member = await readJson(res);
    expect(member).toEqual({
      id: expect.any(String),
      email: 'sara.ahmed@example.com',
      phone_number: '+966501234567',
      pos_account_id: 'pos-1',
      external_id: 'ext-1',
      name: 'Sara Ahmed',
      points_balance: 0,
      points_held: 0,
      points_available: 0,
      points_expiring: [],
      created_at: expect.any(String),
    });
    expect(new Date(member.created_at).toISOString()).toBe(member.created_at);

    const fetched = await get(`/v1/members/${member.id}`);
    expect(fetched.status).toBe(200);
    expect(await readJson(fetched)).toEqual(member);
  });

  it('creates a member with a single identifier and shows the absent ones as null', async () => {
    const member = await createMember({ external_id: undefined, phone_number: '+14155550100' });
    expect(member).toMatchObject({
      email: null,
      phone_number: '+14155550100',
      pos_account_id: null,
      external_id: null,
      name: null,
    });
  });

  it.each([
    ['email', 'taken@example.com', 'TAKEN@Example.com'],
    ['phone_number', '+971501111111', '+971501111111'],
    ['pos_account_id', 'pos-taken', 'pos-taken'],
    ['external_id', 'ext-taken', 'ext-taken'],
  ])('answers 409 identifier_taken naming %s when another member has it', async (field, first, second) => {
    await createMember({ [field]: first });
    const res = await post('/v1/members', { [field]: second, name: 'Someone else' });
    expect(res.status).toBe(409);
    const body = await readJson(res);
    expect(body.error.code).toBe('identifier_taken');
    expect(body.error.details).toEqual([{ path: field, message: expect.any(String) }]);
  });

  it('names only the identifier that is taken when the others are free', async () => {
    await createMember({ pos_account_id: 'pos-only-this' });
    const res = await post('/v1/members', { email: 'free@example.com', pos_account_id: 'pos-only-this' });
    expect(res.status).toBe(409);
    expect((await readJson(res)).error.details).toEqual([{ path: 'pos_account_id', message: expect.any(String) }]);
    expect(await stack.mongo.db.collection('members').countDocuments({ email: 'free@example.com' })).toBe(0);
  });

  it('treats emails differing only in case as the same identifier', async () => {
    await createMember({ email: 'Case.Clash@example.com' });
    const res = await post('/v1/members', { email: 'case.clash@EXAMPLE.com' });
    expect(res.status).toBe(409);
    expect((await readJson(res)).error).toMatchObject({
      code: 'identifier_taken',
      details: [{ path: 'email' }],
    });
  });

  it.each([
    ['an unknown field', { external_id: 'x-unknown', nickname: 'x' }, ''],
    ['a malformed email', { email: 'not-an-email' }, 'email'],
    ['a phone number that is not E.164', { phone_number: '0501234567' }, 'phone_number'],
    ['no identifier at all', { name: 'Nobody' }, 'email'],
    ['an empty external_id', { external_id: '   ' }, 'external_id'],
  ])('refuses %s with 400 naming the field', async (_what, body, path) => {
    const res = await post('/v1/members', body);
    expect(res.status).toBe(400);
    const error = (await readJson(res)).error;
    expect(error.code).toBe('invalid_request');
    expect(error.details.length).toBeGreaterThan(0);
    if (path) expect(error.details.map((detail: { path: string }) => detail.path)).toContain(path);
    else expect(error.details[0].message).toMatch(/nickname/);
  });

  it('answers 404 for an unknown member on every member route and writes nothing', async () => {
    expect((await get('/v1/members/mem_nobody')).status).toBe(404);
    const points = await changePoints('mem_nobody', 10);
    expect(points.status).toBe(404);
    expect((await readJson(points)).error.code).toBe('not_found');
    expect((await get('/v1/members/mem_nobody/ledger')).status).toBe(404);
    expect(await stack.mongo.db.collection('ledger').countDocuments({ member_id: 'mem_nobody' })).toBe(0);
  });

  it('earns with positive points and adjusts with negative ones, answering the entry and the new balances', async () => {
    const member = await createMember();
    const earn = await changePoints(member.id, 500, 'earn-1', 'welcome bonus');
    expect(earn.status).toBe(201);
    const earned = await readJson(earn);
    expect(earned.entry).toEqual({
      id: expect.stringMatching(new RegExp(`^points:${member.id}:[0-9a-f]{12}:earn-1$`)),
      type: 'EARN',
      points: 500,
      balance_delta: 500,
      held_delta: 0,
      balance_after: 500,
      held_after: 0,
      points_expired: 0,
      expires_at: null,
      redemption_id: null,
      reason: 'welcome bonus',
      created_at: expect.any(String),
    });
    expect(earned.member).toMatchObject({ id: member.id, points_balance: 500, points_held: 0, points_available: 500 });

    const adjust = await changePoints(member.id, -120, 'adjust-1', 'correction');
    expect(adjust.status).toBe(201);
    const adjusted = await readJson(adjust);
    expect(adjusted.entry).toMatchObject({ type: 'ADJUST', points: -120, balance_delta: -120, balance_after: 380 });
    expect(adjusted.member).toMatchObject({ points_balance: 380, points_available: 380 });

    expect(await readJson(await get(`/v1/members/${member.id}`))).toMatchObject({
      points_balance: 380,
      points_held: 0,
      points_available: 380,
    });
  });

  it('replays the same idempotency key with the same points as 200 with the first entry and changes nothing', async () => {
    const member = await createMember();
    const first = await changePoints(member.id, 75, 'replay-key');
    expect(first.status).toBe(201);
    const firstBody = await readJson(first);

    const again = await changePoints(member.id, 75, 'replay-key', 'a different reason');
    expect(again.status).toBe(200);
    const againBody = await readJson(again);
    expect(againBody.entry).toEqual(firstBody.entry);
    expect(againBody.member.points_balance).toBe(75);

    const ledger = await readJson(await get(`/v1/members/${member.id}/ledger`));
    expect(ledger.total).toBe(1);
    expect(ledger.data).toHaveLength(1);
  });

  it("answers a new change with the member's points after it, and a replay with their points now", async () => {
    const member = await createMember();
    const first = await readJson(await changePoints(member.id, 75, 'first-key'));
    expect(first.member).toMatchObject({ points_balance: 75, points_available: 75 });
    const second = await readJson(await changePoints(member.id, -25, 'second-key'));
    expect(second.member).toMatchObject({ points_balance: 50, points_available: 50 });

    const replayOfFirst = await changePoints(member.id, 75, 'first-key');
    expect(replayOfFirst.status).toBe(200);
    const replayed = await readJson(replayOfFirst);
    expect(replayed.entry).toEqual(first.entry);
    expect(replayed.member).toEqual(await readJson(await get(`/v1/members/${member.id}`)));
    expect(replayed.member.points_balance).toBe(50);
  });

  it('scopes idempotency keys to the member, so two members may use the same key', async () => {
    const [a, b] = [await createMember(), await createMember()];
    expect((await changePoints(a.id, 10, 'shared-key')).status).toBe(201);
    expect((await changePoints(b.id, 10, 'shared-key')).status).toBe(201);
  });

  it("scopes idempotency keys to the client, so another client's change with the same key is its own", async () => {
    const member = await createMember();
    expect((await changePoints(member.id, 30, 'till-receipt-1')).status).toBe(201);
    const other = await stack.api.request(`/v1/members/${member.id}/points`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OTHER_CLIENT_KEY}` },
      json: { points: 30, reason: 'test', idempotency_key: 'till-receipt-1' },
    });
    expect(other.status).toBe(201);
    expect((await readJson(await get(`/v1/members/${member.id}`))).points_balance).toBe(60);
    // Each client's key still answers its own change only once.
    expect((await changePoints(member.id, 30, 'till-receipt-1')).status).toBe(200);
    expect((await readJson(await get(`/v1/members/${member.id}/ledger`))).total).toBe(2);
  });

  it("answers a change written before keys were the client's when the same points come again with its key", async () => {
    const member = await createMember();
    await new Ledger(stack.mongo.db).append({
      memberId: member.id,
      type: 'EARN',
      points: 25,
      idempotencyKey: `points:${member.id}:before-upgrade`,
      reason: 'test',
    });
    const resent = await changePoints(member.id, 25, 'before-upgrade');
    expect(resent.status).toBe(200);
    expect((await readJson(resent)).entry.id).toBe(`points:${member.id}:before-upgrade`);
    // Other points under that key are a new change of this client's.
    expect((await changePoints(member.id, 5, 'before-upgrade')).status).toBe(201);
    expect((await readJson(await get(`/v1/members/${member.id}`))).points_balance).toBe(30);
  });

  it('answers 409 idempotency_key_reused when a key comes back with other points, and changes nothing', async () => {
    const member = await createMember();
    expect((await changePoints(member.id, 40, 'reused-key')).status).toBe(201);
    for (const points of [41, -40]) {
      const res = await changePoints(member.id, points, 'reused-key');
      expect(res.status).toBe(409);
      expect((await readJson(res)).error.code).toBe('idempotency_key_reused');
    }
    expect((await readJson(await get(`/v1/members/${member.id}`))).points_balance).toBe(40);
  });

  it('refuses an adjustment beyond the available points with 422 insufficient_points and writes nothing', async () => {
    const member = await createMember();
    await changePoints(member.id, 100);
    const res = await changePoints(member.id, -101, 'too-much');
    expect(res.status).toBe(422);
    const body = await readJson(res);
    expect(body.error.code).toBe('insufficient_points');
    expect(body.error.message).toMatch(/100/);

    expect((await readJson(await get(`/v1/members/${member.id}`))).points_balance).toBe(100);
    expect((await readJson(await get(`/v1/members/${member.id}/ledger`))).total).toBe(1);
    // The refused key was not consumed: once the points are there it goes through.
    await changePoints(member.id, 1);
    expect((await changePoints(member.id, -101, 'too-much')).status).toBe(201);
  });

  it.each([
    ['zero points', { points: 0, reason: 'r', idempotency_key: 'k' }, 'points'],
    ['fractional points', { points: 1.5, reason: 'r', idempotency_key: 'k' }, 'points'],
    ['more than a billion points', { points: 1_000_000_001, reason: 'r', idempotency_key: 'k' }, 'points'],
    ['points as a string', { points: '10', reason: 'r', idempotency_key: 'k' }, 'points'],
    ['no reason', { points: 10, idempotency_key: 'k' }, 'reason'],
    ['an empty idempotency key', { points: 10, reason: 'r', idempotency_key: '' }, 'idempotency_key'],
  ])('refuses a points change with %s with 400 naming the field', async (_what, body, path) => {
    const member = await createMember();
    const res = await post(`/v1/members/${member.id}/points`, body);
    expect(res.status).toBe(400);
    const error = (await readJson(res)).error;
    expect(error.details.map((detail: { path: string }) => detail.path)).toContain(path);
  });

  it('lists the ledger newest first in the Flavours pagination envelope, and page 2 via next_page_url', async () => {
    const member = await createMember();
    for (let index = 1; index <= 5; index++) await changePoints(member.id, index * 10, `entry-${index}`);

    const res = await get(`/v1/members/${member.id}/ledger?per_page=2`);
    expect(res.status).toBe(200);
    const page1 = await readJson(res);
    const path = `${stack.api.url}/v1/members/${member.id}/ledger`;
    expect(page1).toEqual({
      current_page: 1,
      data: [expect.objectContaining({ points: 50 }), expect.objectContaining({ points: 40 })],
      first_page_url: `${path}?per_page=2&page=1`,
      from: 1,
      last_page: 3,
      last_page_url: `${path}?per_page=2&page=3`,
      links: [
        { url: null, label: '« Previous', active: false },
        { url: `${path}?per_page=2&page=1`, label: '1', active: true },
        { url: `${path}?per_page=2&page=2`, label: '2', active: false },
        { url: `${path}?per_page=2&page=3`, label: '3', active: false },
        { url: `${path}?per_page=2&page=2`, label: 'Next »', active: false },
      ],
      next_page_url: `${path}?per_page=2&page=2`,
      path,
      per_page: 2,
      prev_page_url: null,
      to: 2,
      total: 5,
    });
    expect(page1.data[0]).toMatchObject({ type: 'EARN', balance_after: 150, reason: 'test' });

    const page2 = await readJson(await get(page1.next_page_url.slice(stack.api.url.length)));
    expect(page2).toMatchObject({ current_page: 2, from: 3, to: 4, prev_page_url: `${path}?per_page=2&page=1` });
    expect(page2.data.map((entry: { points: number }) => entry.points)).toEqual([30, 20]);

    const page3 = await readJson(await get(page2.next_page_url.slice(stack.api.url.length)));
    expect(page3).toMatchObject({ current_page: 3, from: 5, to: 5, next_page_url: null });
    expect(page3.data.map((entry: { points: number }) => entry.points)).toEqual([10]);
  });

  it('sorts the ledger oldest first with sort=created_at', async () => {
    const member = await createMember();
    for (let index = 1; index <= 5; index++) await changePoints(member.id, index, `asc-${index}`);
    const page1 = await readJson(await get(`/v1/members/${member.id}/ledger?per_page=2&sort=created_at`));
    expect(page1.data.map((entry: { points: number }) => entry.points)).toEqual([1, 2]);
    const page3 = await readJson(await get(`/v1/members/${member.id}/ledger?per_page=2&sort=created_at&page=3`));
    expect(page3.data.map((entry: { points: number }) => entry.points)).toEqual([5]);
  });

  it('answers an empty page past the end with from and to null, and an empty ledger with last_page 1', async () => {
    const member = await createMember();
    const empty = await readJson(await get(`/v1/members/${member.id}/ledger`));
    expect(empty).toMatchObject({ data: [], total: 0, from: null, to: null, last_page: 1, current_page: 1 });

    await changePoints(member.id, 5);
    const past = await readJson(await get(`/v1/members/${member.id}/ledger?page=4`));
    expect(past).toMatchObject({ data: [], total: 1, from: null, to: null, last_page: 1, next_page_url: null });
  });

  it.each([
    ['per_page over 100', 'per_page=101', 'per_page'],
    ['per_page 0', 'per_page=0', 'per_page'],
    ['page 0', 'page=0', 'page'],
    ['a page that is not a number', 'page=two', 'page'],
    ['an unknown sort field', 'sort=-points', 'sort'],
  ])('refuses a ledger query with %s with 400 naming it', async (_what, query, path) => {
    const member = await createMember();
    const res = await get(`/v1/members/${member.id}/ledger?${query}`);
    expect(res.status).toBe(400);
    const error = (await readJson(res)).error;
    expect(error.code).toBe('invalid_request');
    expect(error.details.map((detail: { path: string }) => detail.path)).toContain(path);
  });

  it('keeps the balance exact under 20 concurrent earns on the same member', async () => {
    const member = await createMember();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => changePoints(member.id, 10, `concurrent-${index}`)),
    );
    expect(answers.map((res) => res.status)).toEqual(Array(20).fill(201));

    const after = await readJson(await get(`/v1/members/${member.id}`));
    expect(after).toMatchObject({ points_balance: 200, points_held: 0, points_available: 200 });
    const ledger = await readJson(await get(`/v1/members/${member.id}/ledger?per_page=100`));
    expect(ledger.total).toBe(20);
    expect(ledger.data).toHaveLength(20);
    expect(ledger.data.map((entry: { balance_after: number }) => entry.balance_after)).toEqual(
      Array.from({ length: 20 }, (_, index) => 200 - index * 10),
    );
  });

  it('abbreviates the page links of a long ledger around the current page, as Laravel does', async () => {
    const member = await createMember();
    await Promise.all(Array.from({ length: 20 }, (_, index) => changePoints(member.id, 1, `long-${index}`)));
    const page = await readJson(await get(`/v1/members/${member.id}/ledger?per_page=1&page=10`));
    expect(page).toMatchObject({ current_page: 10, last_page: 20, from: 10, to: 10 });
    expect(page.links.map((link: { label: string }) => link.label)).toEqual([
      '« Previous',
      '1',
      '2',
      '...',
      '7',
      '8',
      '9',
      '10',
      '11',
      '12',
      '13',
      '...',
      '19',
      '20',
      'Next »',
    ]);
    expect(page.links.find((link: { active: boolean }) => link.active).label).toBe('10');
    expect(page.links[3].url).toBeNull();
    expect(page.prev_page_url).toMatch(/page=9$/);
  });

  it('describes the member routes in the OpenAPI document', async () => {
    const document = await readJson(await fetch(`${stack.api.url}/openapi.json`));
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/members', '/v1/members/{id}', '/v1/members/{id}/points', '/v1/members/{id}/ledger']),
    );
    expect(document.paths['/v1/members'].post.security).toEqual([{ apiKey: ['members:write'] }]);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Member', 'CreateMember', 'PointsChange', 'PointsResult', 'LedgerEntry', 'LedgerPage']),
    );
  });
});
