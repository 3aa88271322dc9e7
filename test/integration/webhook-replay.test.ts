/**
 * Replaying an endpoint's events over HTTP, against the real servers: `POST /v1/webhook-endpoints/{id}/replay` owes the
 * endpoint again what it was sent in a window, and its lane sends each event again under its original Webhook-Id,
 * signed afresh, in order for each redemption.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { readJson, startTestStack, TEST_API_KEY, type TestStack } from '../harness/stack';
import { signedWith, startStubPartner, type RecordedCall, type StubPartner } from '../harness/stub-partner';

const OTHER_KEY = 'other-client-key';
const MAX_WINDOW_DAYS = 2;
const DAY_MS = 24 * 3600 * 1000;
const STATUSES = ['redemption.pending', 'redemption.redeeming', 'redemption.completed'];

describe('webhook replay', () => {
  let stack: TestStack;
  const receivers: StubPartner[] = [];

  beforeAll(async () => {
    stack = await startTestStack({
      env: {
        API_KEYS: `merchant:${TEST_API_KEY},other:${OTHER_KEY}:webhooks+redemptions`,
        WEBHOOK_ENDPOINTS_CACHE_MS: '0',
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_RETRY_INITIAL_MS: '300',
        WEBHOOK_RETRY_MAX_MS: '1000',
        // A rotated-out secret signs nothing more: a replay is signed with the current secret alone.
        WEBHOOK_SECRET_OVERLAP_SECONDS: '0',
        WEBHOOK_REPLAY_MAX_WINDOW_DAYS: String(MAX_WINDOW_DAYS),
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  const call = async (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const res = await stack.api.request(path, init);
    return { status: res.status, body: res.status === 204 ? undefined : await readJson(res) };
  };
  const receiverEndpoint = async (events = ['*']) => {
    const receiver = await startStubPartner();
    receivers.push(receiver);
    const created = await call('/v1/webhook-endpoints', { method: 'POST', json: { url: receiver.redeemUrl, events } });
    expect(created.status).toBe(201);
    return { receiver, id: created.body.id as string, secret: created.body.secret as string };
  };
  const redeem = async (key = TEST_API_KEY) => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db);
    const res = await call('/v1/redemptions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      json: { customer_email: member.email, redemption_option_id: option.id },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const callsFor = (receiver: StubPartner, redemptionId: string, from = 0) =>
    receiver.calls.slice(from).filter((received) => received.body?.data?.id === redemptionId);
  /** Waits until the endpoint is owed nothing: every event sent so far is delivered and kept for replays. */
  const settled = (endpointId: string) =>
    expect
      .poll(() => stack.mongo.db.collection('webhook_outbox').countDocuments({ endpoint_id: endpointId }), {
        timeout: 15_000,
        interval: 50,
      })
      .toBe(0);
  /** A redemption whose three events the endpoint was sent. */
  const redeemAndDeliver = async (receiver: StubPartner, endpointId: string) => {
    const id = await redeem();
    await expect.poll(() => callsFor(receiver, id).length, { timeout: 15_000, interval: 50 }).toBe(3);
    await settled(endpointId);
    return id;
  };
  const replay = (endpointId: string, json: unknown, key = TEST_API_KEY) =>
    call(`/v1/webhook-endpoints/${endpointId}/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      json,
    });
  const types = (calls: RecordedCall[]) => calls.map((received) => received.body.type);

  it('sends the window’s events again under their original Webhook-Id, signed with the current secret, in order for each redemption, and lists them as replays', async () => {
    const { receiver, id } = await receiverEndpoint();
    const since = new Date();
    const redemptions = [await redeemAndDeliver(receiver, id), await redeemAndDeliver(receiver, id)];
    const originals = new Map(redemptions.map((redemption) => [redemption, callsFor(receiver, redemption)]));
    const { secret } = (await call(`/v1/webhook-endpoints/${id}/rotate-secret`, { method: 'POST' })).body;
    const before = receiver.calls.length;

    const answer = await replay(id, { since: since.toISOString() });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ queued: 6, since: since.toISOString() });
    expect(Date.parse(answer.body.until)).toBeGreaterThan(since.getTime());

    await expect.poll(() => receiver.calls.length - before, { timeout: 15_000, interval: 50 }).toBe(6);
    for (const redemption of redemptions) {
      const replayed = callsFor(receiver, redemption, before);
      const original = originals.get(redemption)!;
      expect(types(replayed)).toEqual(STATUSES);
      expect(replayed.map((received) => received.headers['webhook-id'])).toEqual(
        original.map((received) => received.headers['webhook-id']),
      );
      expect(replayed.map((received) => received.rawBody)).toEqual(original.map((received) => received.rawBody));
      for (const [index, received] of replayed.entries()) {
        expect(await signedWith(secret, received)).toBe(true);
        expect(await signedWith(secret, original[index]!)).toBe(false);
        expect(Number(received.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(
          Number(original[index]!.headers['webhook-timestamp']),
        );
      }
    }

    await expect
      .poll(async () => (await call(`/v1/webhook-endpoints/${id}/deliveries`)).body.total, { timeout: 5_000 })
      .toBe(12);
    const attempts = (await call(`/v1/webhook-endpoints/${id}/deliveries`)).body.data;
    expect(attempts.map((attempt: any) => attempt.replay)).toEqual([...Array(6).fill(true), ...Array(6).fill(false)]);
    const replayedIds = new Set(attempts.slice(0, 6).map((attempt: any) => attempt.event_id));
    expect(replayedIds).toEqual(new Set(attempts.slice(6).map((attempt: any) => attempt.event_id)));

    // Asked again, it queues the window again: the receiver de-duplicates on Webhook-Id.
    await settled(id);
    expect((await replay(id, { since: since.toISOString() })).body.queued).toBe(6);
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  it('replays only the events that happened in the window', async () => {
    const { receiver, id } = await receiverEndpoint();
    const start = new Date();
    const first = await redeemAndDeliver(receiver, id);
    const middle = new Date();
    const second = await redeemAndDeliver(receiver, id);

    const before = receiver.calls.length;
    const early = await replay(id, { since: start.toISOString(), until: middle.toISOString() });
    expect(early.status).toBe(202);
    expect(early.body).toEqual({ queued: 3, since: start.toISOString(), until: middle.toISOString() });
    await expect.poll(() => callsFor(receiver, first, before).length, { timeout: 15_000, interval: 50 }).toBe(3);
    await settled(id);
    expect(callsFor(receiver, second, before)).toHaveLength(0);

    const late = receiver.calls.length;
    expect((await replay(id, { since: middle.toISOString() })).body.queued).toBe(3);
    await expect.poll(() => callsFor(receiver, second, late).length, { timeout: 15_000, interval: 50 }).toBe(3);
    expect(types(callsFor(receiver, second, late))).toEqual(STATUSES);
    await settled(id);
    expect(callsFor(receiver, first, late)).toHaveLength(0);

    expect(
      (await replay(id, { since: new Date(start.getTime() - DAY_MS).toISOString(), until: start.toISOString() })).body
        .queued,
    ).toBe(0);
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  it('replays only the event types the endpoint subscribes to, of the redemptions it hears', async () => {
    const { receiver, id } = await receiverEndpoint(['redemption.completed']);
    const since = new Date();
    const own = await redeem();
    const others = await redeem(OTHER_KEY);
    await expect.poll(() => callsFor(receiver, own).length, { timeout: 15_000, interval: 50 }).toBe(1);
    await settled(id);

    const before = receiver.calls.length;
    expect((await replay(id, { since: since.toISOString() })).body.queued).toBe(1);
    await expect.poll(() => receiver.calls.length - before, { timeout: 15_000, interval: 50 }).toBe(1);
    expect(types(callsFor(receiver, own, before))).toEqual(['redemption.completed']);
    expect(callsFor(receiver, others)).toHaveLength(0);
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  it('does not send twice an event the endpoint is still owed: it goes on being retried, and is delivered once', async () => {
    const { receiver, id } = await receiverEndpoint();
    const since = new Date();
    const delivered = await redeemAndDeliver(receiver, id);
    // The next redemption's first event is refused until told otherwise, and holds back its later ones.
    let refused: string | undefined;
    receiver.setDefault((received) => {
      refused ??= received.body.data.id;
      return received.body.data.id === refused ? { status: 500 } : { status: 200 };
    });
    const retried = await redeem();
    await expect.poll(() => callsFor(receiver, retried).length, { timeout: 15_000, interval: 50 }).toBeGreaterThan(1);
    expect(refused).toBe(retried);

    expect((await replay(id, { since: since.toISOString() })).body.queued).toBe(3);
    await expect.poll(() => callsFor(receiver, delivered).length, { timeout: 15_000, interval: 50 }).toBe(6);
    expect(types(callsFor(receiver, delivered))).toEqual([...STATUSES, ...STATUSES]);
    receiver.setDefault({ status: 200 });
    await settled(id);

    const attempts = (await call(`/v1/webhook-endpoints/${id}/deliveries?per_page=100`)).body.data;
    const retriedEvents = new Set(callsFor(receiver, retried).map((received) => received.body.id));
    expect(retriedEvents.size).toBe(3);
    const ofRetried = attempts.filter((attempt: any) => retriedEvents.has(attempt.event_id));
    expect(ofRetried.every((attempt: any) => !attempt.replay)).toBe(true);
    expect(ofRetried.filter((attempt: any) => attempt.succeeded)).toHaveLength(3);
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  it('refuses a window too long with 422, until not after since with 400, and since in the future with 422, queuing nothing', async () => {
    const { receiver, id } = await receiverEndpoint();
    const since = new Date(Date.now() - 60_000);
    await redeemAndDeliver(receiver, id);
    const before = receiver.calls.length;
    const now = Date.now();

    const tooLong = await replay(id, { since: new Date(now - (MAX_WINDOW_DAYS * DAY_MS + 60_000)).toISOString() });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.code).toBe('replay_window_too_long');
    expect(tooLong.body.error.message).toContain(`${MAX_WINDOW_DAYS} days`);
    const explicitTooLong = await replay(id, {
      since: new Date(now - 3 * MAX_WINDOW_DAYS * DAY_MS).toISOString(),
      until: new Date(now - MAX_WINDOW_DAYS * DAY_MS + 1).toISOString(),
    });
    expect(explicitTooLong.status).toBe(422);

    const reversed = await replay(id, { since: since.toISOString(), until: since.toISOString() });
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.code).toBe('invalid_request');
    expect(reversed.body.error.details.map((detail: any) => detail.path)).toContain('until');

    const future = await replay(id, { since: new Date(now + 60_000).toISOString() });
    expect(future.status).toBe(422);
    expect(future.body.error.code).toBe('replay_since_in_future');

    for (const json of [{}, { since: 'yesterday' }, { since: since.toISOString(), extra: 1 }]) {
      expect((await replay(id, json)).status, JSON.stringify(json)).toBe(400);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await stack.mongo.db.collection('webhook_outbox').countDocuments({ endpoint_id: id })).toBe(0);
    expect(receiver.calls.length).toBe(before);
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  it('answers 404 for an unknown endpoint and for another client’s', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const unknown = await replay('whe_unknown', { since });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('webhook_endpoint_not_found');

    const { id } = await receiverEndpoint();
    const foreign = await replay(id, { since }, OTHER_KEY);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('webhook_endpoint_not_found');
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  it('refuses to replay to a disabled endpoint with 409', async () => {
    const { receiver, id } = await receiverEndpoint();
    receiver.setDefault({ status: 410 });
    const since = new Date();
    await redeem();
    await expect.poll(async () => (await call(`/v1/webhook-endpoints/${id}`)).body.status).toBe('disabled');

    const refused = await replay(id, { since: since.toISOString() });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('webhook_endpoint_disabled');
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });
});
