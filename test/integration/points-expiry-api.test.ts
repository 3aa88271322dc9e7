/** Earning points that expire, and the member's view of them, over HTTP against the real servers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldLedger } from '../harness/fixtures';
import { readJson, startTestStack, uniqueName, type TestStack } from '../harness/stack';

const JAN = '2030-01-01T00:00:00.000Z';
const FEB = '2030-02-01T00:00:00.000Z';
const MAR = '2030-03-01T00:00:00.000Z';
const APR = '2030-04-01T00:00:00.000Z';

describe('points that expire, over HTTP', () => {
  let stack: TestStack;
  let withDefault: TestStack;

  beforeAll(async () => {
    [stack, withDefault] = await Promise.all([
      startTestStack({ worker: false }),
      startTestStack({ worker: false, env: { POINTS_EXPIRE_AFTER_DAYS: '30' } }),
    ]);
  });
  afterAll(async () => {
    await stack?.close();
    await withDefault?.close();
  });

  async function createMember(on: TestStack = stack): Promise<string> {
    const res = await on.api.request('/v1/members', { method: 'POST', json: { external_id: uniqueName('ext') } });
    expect(res.status).toBe(201);
    return (await readJson(res)).id;
  }

  function changePoints(memberId: string, body: Record<string, unknown>, on: TestStack = stack) {
    return on.api.request(`/v1/members/${memberId}/points`, {
      method: 'POST',
      json: { reason: 'test', idempotency_key: uniqueName('key'), ...body },
    });
  }

  it('earns points with expires_at, normalised to UTC, and shows the next three dates with their amounts', async () => {
    const id = await createMember();
    const earned = await changePoints(id, { points: 30, expires_at: '2030-02-01T03:00:00+03:00' });
    expect(earned.status).toBe(201);
    const body = await readJson(earned);
    expect(body.entry).toMatchObject({ type: 'EARN', points: 30, expires_at: FEB, points_expired: 0 });
    expect(body.member.points_expiring).toEqual([{ expires_at: FEB, points: 30 }]);
    for (const [points, expires_at] of [
      [100, undefined],
      [20, APR],
      [10, JAN],
      [5, MAR],
    ] as const) {
      expect((await changePoints(id, { points, expires_at })).status).toBe(201);
    }
    const member = await readJson(await stack.api.request(`/v1/members/${id}`));
    expect(member).toMatchObject({ points_balance: 165, points_available: 165 });
    expect(member.points_expiring).toEqual([
      { expires_at: JAN, points: 10 },
      { expires_at: FEB, points: 30 },
      { expires_at: MAR, points: 5 },
    ]);
  });

  it('spends the soonest-expiring points first when points are adjusted down, never-expiring ones last', async () => {
    const id = await createMember();
    await changePoints(id, { points: 50 });
    await changePoints(id, { points: 40, expires_at: FEB });
    await changePoints(id, { points: 20, expires_at: JAN });
    const adjusted = await changePoints(id, { points: -45 });
    expect(adjusted.status).toBe(201);
    expect((await readJson(adjusted)).member.points_expiring).toEqual([{ expires_at: FEB, points: 15 }]);
    expect((await changePoints(id, { points: -40 })).status).toBe(201);
    const member = await readJson(await stack.api.request(`/v1/members/${id}`));
    expect(member).toMatchObject({ points_balance: 25, points_expiring: [] });
  });

  it('refuses an expiry date that has passed with 422 expiry_in_past, writing nothing', async () => {
    const id = await createMember();
    const res = await changePoints(id, { points: 10, expires_at: '2020-01-01T00:00:00Z' });
    expect(res.status).toBe(422);
    expect((await readJson(res)).error.code).toBe('expiry_in_past');
    expect((await foldLedger(stack.mongo.db, id)).entries).toHaveLength(0);
  });

  it('refuses expires_at on an adjustment down, and a malformed one, with 400 naming the field', async () => {
    const id = await createMember();
    await changePoints(id, { points: 10 });
    for (const body of [
      { points: -5, expires_at: FEB },
      { points: 5, expires_at: 'next tuesday' },
      { points: 5, expires_at: '2030-02-30T00:00:00Z' },
      { points: 5, expires_at: 1_900_000_000 },
    ]) {
      const res = await changePoints(id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await readJson(res)).error.details.map((detail: { path: string }) => detail.path)).toContain(
        'expires_at',
      );
    }
    expect((await foldLedger(stack.mongo.db, id)).entries).toHaveLength(1);
  });

  it('gives an earn without expires_at the programme’s default: the start of the UTC day 30 days after the earn’s day', async () => {
    const id = await createMember(withDefault);
    const before = new Date();
    const res = await changePoints(id, { points: 70 }, withDefault);
    expect(res.status).toBe(201);
    const day = Date.UTC(before.getUTCFullYear(), before.getUTCMonth(), before.getUTCDate() + 31);
    const { entry, member } = await readJson(res);
    // An earn just at midnight may fall on the next day.
    expect([new Date(day).toISOString(), new Date(day + 86_400_000).toISOString()]).toContain(entry.expires_at);
    expect(member.points_expiring).toEqual([{ expires_at: entry.expires_at, points: 70 }]);
    const own = await changePoints(id, { points: 5, expires_at: JAN }, withDefault);
    expect((await readJson(own)).entry.expires_at).toBe(JAN);
    const adjusted = await changePoints(id, { points: -5 }, withDefault);
    expect((await readJson(adjusted)).entry.expires_at).toBeNull();
  });
});
