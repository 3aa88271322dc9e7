import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { recordHistory } from '../harness/histories';
import {
  readJson,
  startTestStack,
  startTestWorker,
  TEST_API_KEY,
  type RunningWorker,
  type TestStack,
} from '../harness/stack';
import { signedWith, startStubPartner, type StubPartner } from '../harness/stub-partner';

/** A merchant's receiver: a local HTTP server whose answers the test scripts. */
type Receiver = StubPartner;

const CAPPED_KEY = 'capped-client-key';
const ENDPOINT_CAP = 25;

describe('merchant webhooks', () => {
  let stack: TestStack;
  let replacement: RunningWorker | undefined;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    stack = await startTestStack({
      env: {
        API_KEYS: `merchant:${TEST_API_KEY},capped:${CAPPED_KEY}:webhooks`,
        WEBHOOK_ENDPOINTS_CACHE_MS: '0',
        WEBHOOK_ENDPOINTS_PER_CLIENT: String(ENDPOINT_CAP),
        WEBHOOK_TIMEOUT_MS: '1000',
        // Long enough that a lane which backed off as a whole would leave the other redemptions' events waiting.
        WEBHOOK_RETRY_INITIAL_MS: '500',
        WEBHOOK_RETRY_MAX_MS: '4000',
        WEBHOOK_SECRET_OVERLAP_SECONDS: '3',
      },
    });
  });
  afterAll(async () => {
    await replacement?.stop();
    await stack?.close();
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  const newReceiver = async (...args: Parameters<typeof startStubPartner>) => {
    const receiver = await startStubPartner(...args);
    receivers.push(receiver);
    return receiver;
  };
  const call = async (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const res = await stack.api.request(path, init);
    return { status: res.status, body: res.status === 204 ? undefined : await readJson(res) };
  };
  const register = async (url: string, events: string[] = ['*']) => {
    const created = await call('/v1/webhook-endpoints', { method: 'POST', json: { url, events } });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  };
  const redeem = async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db);
    const res = await call('/v1/redemptions', {
      method: 'POST',
      json: { customer_email: member.email, redemption_option_id: option.id },
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; status: string };
  };
  /** The deliveries a receiver got for one redemption, in the order they arrived. */
  const callsFor = (receiver: Receiver, redemptionId: string) =>
    receiver.calls.filter((received) => received.body?.data?.id === redemptionId);
  const waitForCallsFor = async (receiver: Receiver, redemptionId: string, count: number) => {
    await expect.poll(() => callsFor(receiver, redemptionId).length, { timeout: 15_000, interval: 50 }).toBe(count);
    return callsFor(receiver, redemptionId);
  };
  const verified = signedWith;

  it('registers an endpoint, shows its secret only on create and rotate, lists, reads and deletes it', async () => {
    const created = await call('/v1/webhook-endpoints', {
      method: 'POST',
      json: { url: 'https://merchant.example/hooks', events: ['redemption.completed'], description: 'till' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: 'https://merchant.example/hooks',
      events: ['redemption.completed'],
      description: 'till',
      status: 'enabled',
    });
    expect(created.body.id).toMatch(/^whe_/);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Date.parse(created.body.created_at)).not.toBeNaN();
    const { id, secret } = created.body;

    const read = await call(`/v1/webhook-endpoints/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, url: 'https://merchant.example/hooks', status: 'enabled' });
    expect(read.body).not.toHaveProperty('secret');

    const list = await call('/v1/webhook-endpoints?per_page=100');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ current_page: 1, per_page: 100 });
    const listed = list.body.data.find((endpoint: any) => endpoint.id === id);
    expect(listed).toMatchObject({ id, events: ['redemption.completed'] });
    expect(listed).not.toHaveProperty('secret');
    expect(list.body.total).toBe(list.body.data.length);

    const rotated = await call(`/v1/webhook-endpoints/${id}/rotate-secret`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    expect(rotated.body.id).toBe(id);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(secret);
    expect((await call(`/v1/webhook-endpoints/${id}`)).body).not.toHaveProperty('secret');

    expect((await call(`/v1/webhook-endpoints/${id}/deliveries`)).body).toMatchObject({ data: [], total: 0 });
    expect((await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/v1/webhook-endpoints/${id}`)).status).toBe(404);
    expect((await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('answers 404 for an unknown endpoint on every route', async () => {
    for (const [method, path] of [
      ['GET', '/v1/webhook-endpoints/whe_unknown'],
      ['DELETE', '/v1/webhook-endpoints/whe_unknown'],
      ['POST', '/v1/webhook-endpoints/whe_unknown/rotate-secret'],
      ['GET', '/v1/webhook-endpoints/whe_unknown/deliveries'],
    ] as const) {
      const res = await call(path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('webhook_endpoint_not_found');
    }
  });

  it('refuses a bad url, an unknown event type, no events or an unknown field with 400, and stores nothing', async () => {
    const before = (await call('/v1/webhook-endpoints')).body.total;
    for (const [json, path] of [
      [{ url: 'not a url', events: ['*'] }, 'url'],
      [{ url: 'ftp://merchant.example/hooks', events: ['*'] }, 'url'],
      [{ url: 'https://merchant.example/hooks', events: ['redemption.teleported'] }, 'events.0'],
      [{ url: 'https://merchant.example/hooks', events: [] }, 'events'],
      [{ url: 'https://merchant.example/hooks' }, 'events'],
      [{ url: 'https://merchant.example/hooks', events: ['*'], secret: 'mine' }, ''],
    ] as const) {
      const res = await call('/v1/webhook-endpoints', { method: 'POST', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      if (path) expect(res.body.error.details.map((detail: any) => detail.path)).toContain(path);
    }
    expect((await call('/v1/webhook-endpoints')).body.total).toBe(before);
  });

  it("delivers a redemption's events in order, signed, with the Standard Webhooks headers", async () => {
    const receiver = await newReceiver();
    const { id: endpointId, secret } = await register(receiver.redeemUrl);
    const redemption = await redeem();
    const received = await waitForCallsFor(receiver, redemption.id, 3);

    expect(received.map((delivery) => delivery.body.type)).toEqual([
      'redemption.pending',
      'redemption.redeeming',
      'redemption.completed',
    ]);
    for (const delivery of received) {
      expect(await verified(secret, delivery)).toBe(true);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['webhook-id']).toBe(delivery.body.id);
      expect(delivery.body.id).toMatch(/^evt_/);
      expect(Math.abs(Number(delivery.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(delivery.body.data.status).toBe(delivery.body.type.replace('redemption.', ''));
      expect(Date.parse(delivery.body.created_at)).not.toBeNaN();
    }
    expect(new Set(received.map((delivery) => delivery.body.id)).size).toBe(3);
    // The data is the redemption as GET /v1/redemptions/{id} shows it, without its audit trail.
    const view = (await call(`/v1/redemptions/${redemption.id}`)).body;
    delete view.events;
    expect(received[2]!.body.data).toEqual(view);
    // A tampered body or another secret does not verify.
    expect(
      await verified(secret, { ...received[0]!, rawBody: received[0]!.rawBody.replace('pending', 'complete') }),
    ).toBe(false);
    expect(await verified('whsec_' + Buffer.from('another secret, 24 bytes').toString('base64'), received[0]!)).toBe(
      false,
    );

    const deliveries = (await call(`/v1/webhook-endpoints/${endpointId}/deliveries`)).body;
    expect(deliveries.total).toBe(3);
    expect(deliveries.data.every((attempt: any) => attempt.succeeded && attempt.http_status === 200)).toBe(true);
    await call(`/v1/webhook-endpoints/${endpointId}`, { method: 'DELETE' });
  });

  it("keeps each of many concurrent redemptions' events in order, owes nothing once delivered, and ends the lane of a deleted endpoint", async () => {
    const receiver = await newReceiver();
    const { id: endpointId } = await register(receiver.redeemUrl);
    const redemptions = await Promise.all(Array.from({ length: 8 }, () => redeem()));
    for (const redemption of redemptions) {
      expect((await waitForCallsFor(receiver, redemption.id, 3)).map((delivery) => delivery.body.type)).toEqual([
        'redemption.pending',
        'redemption.redeeming',
        'redemption.completed',
      ]);
    }
    await expect
      .poll(() => stack.mongo.db.collection('webhook_outbox').countDocuments({ endpoint_id: endpointId }))
      .toBe(0);

    await call(`/v1/webhook-endpoints/${endpointId}`, { method: 'DELETE' });
    const lane = stack.client.workflow.getHandle(`webhook-lane/${endpointId}`);
    await expect.poll(async () => (await lane.describe()).status.name, { timeout: 10_000 }).toBe('COMPLETED');
    expect(await stack.mongo.db.collection('webhook_deliveries').countDocuments({ endpoint_id: endpointId })).toBe(0);
    await recordHistory(stack.client, 'webhook-lane-ended', lane.workflowId);
  });

  it("still delivers every other redemption's events within seconds while the receiver refuses one redemption's", async () => {
    const receiver = await newReceiver();
    let refused: string | undefined;
    receiver.setDefault((received) => {
      refused ??= received.body.data.id;
      return received.body.data.id === refused ? { status: 400 } : { status: 204 };
    });
    const { id } = await register(receiver.redeemUrl);
    const first = await redeem();
    // The answer may come before the lane's first delivery.
    await expect.poll(() => refused, { timeout: 5_000 }).toBe(first.id);
    // Its first event keeps failing: the lane would have backed off as a whole by now, for up to 4 s a time.
    await waitForCallsFor(receiver, first.id, 3);
    const others = [];
    for (let index = 0; index < 4; index++) others.push(await redeem());
    const lastCreated = Date.now();
    for (const other of others) {
      expect((await waitForCallsFor(receiver, other.id, 3)).map((delivery) => delivery.body.type)).toEqual([
        'redemption.pending',
        'redemption.redeeming',
        'redemption.completed',
      ]);
    }
    expect(Date.now() - lastCreated).toBeLessThan(3_000);
    // The refused redemption's later events wait behind its first, which is tried again with its own backoff.
    expect(callsFor(receiver, first.id).every((delivery) => delivery.body.type === 'redemption.pending')).toBe(true);
    const attempts = (await call(`/v1/webhook-endpoints/${id}/deliveries?per_page=100`)).body.data;
    const refusedAttempts = attempts.filter((attempt: any) => attempt.http_status === 400);
    expect(refusedAttempts.length).toBeGreaterThanOrEqual(3);
    expect(refusedAttempts.every((attempt: any) => attempt.next_try_at !== null)).toBe(true);
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  it('keeps an idle lane waiting with no activity running, and wakes it for the next event', async () => {
    const receiver = await newReceiver();
    const { id } = await register(receiver.redeemUrl);
    const first = await redeem();
    await waitForCallsFor(receiver, first.id, 3);
    const lane = stack.client.workflow.getHandle(`webhook-lane/${id}`);
    await expect
      .poll(async () => {
        const { status, raw } = await lane.describe();
        return { status: status.name, activities: raw.pendingActivities?.length ?? 0 };
      })
      .toEqual({ status: 'RUNNING', activities: 0 });
    const second = await redeem();
    await waitForCallsFor(receiver, second.id, 3);
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
    await expect.poll(async () => (await lane.describe()).status.name, { timeout: 10_000 }).toBe('COMPLETED');
    await recordHistory(stack.client, 'webhook-lane-waits-for-nudges', lane.workflowId);
  });

  it('refuses an endpoint past the per-client cap with 422, and takes one again once another is deleted', async () => {
    const asCapped = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      call(path, { ...init, headers: { authorization: `Bearer ${CAPPED_KEY}` } });
    const register = () =>
      asCapped('/v1/webhook-endpoints', {
        method: 'POST',
        json: { url: 'https://merchant.example/hooks', events: ['*'] },
      });
    const ids: string[] = [];
    for (let index = 0; index < ENDPOINT_CAP; index++) {
      const created = await register();
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    const refused = await register();
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('webhook_endpoint_limit_reached');
    expect(refused.body.error.message).toContain(String(ENDPOINT_CAP));
    expect((await asCapped('/v1/webhook-endpoints?per_page=100')).body.total).toBe(ENDPOINT_CAP);
    // Another client's count is its own.
    const other = await call('/v1/webhook-endpoints', {
      method: 'POST',
      json: { url: 'https://merchant.example/other', events: ['*'] },
    });
    expect(other.status).toBe(201);

    expect((await asCapped(`/v1/webhook-endpoints/${ids[0]}`, { method: 'DELETE' })).status).toBe(204);
    expect((await register()).status).toBe(201);
    expect((await register()).status).toBe(422);
    await call(`/v1/webhook-endpoints/${other.body.id}`, { method: 'DELETE' });
  });

  it('sends an endpoint only the event types it subscribed to', async () => {
    const receiver = await newReceiver();
    const { id } = await register(receiver.redeemUrl, ['redemption.completed']);
    const redemption = await redeem();
    const [only] = await waitForCallsFor(receiver, redemption.id, 1);
    expect(only!.body.type).toBe('redemption.completed');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(callsFor(receiver, redemption.id)).toHaveLength(1);
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  it('retries a failing endpoint with backoff until it answers 2xx, and lists every attempt', async () => {
    const receiver = await newReceiver();
    receiver.queue({ status: 500 }, { status: 503 });
    const { id } = await register(receiver.redeemUrl, ['redemption.completed']);
    const redemption = await redeem();
    const received = await waitForCallsFor(receiver, redemption.id, 3);
    expect(new Set(received.map((delivery) => delivery.headers['webhook-id'])).size).toBe(1);

    await expect
      .poll(async () => (await call(`/v1/webhook-endpoints/${id}/deliveries`)).body.total, { timeout: 5000 })
      .toBe(3);
    const attempts = (await call(`/v1/webhook-endpoints/${id}/deliveries`)).body.data;
    expect(attempts.map((attempt: any) => [attempt.attempt, attempt.http_status, attempt.succeeded])).toEqual([
      [3, 200, true],
      [2, 503, false],
      [1, 500, false],
    ]);
    expect(attempts.every((attempt: any) => attempt.event_id === received[0]!.body.id)).toBe(true);
    expect(attempts.every((attempt: any) => attempt.event_type === 'redemption.completed')).toBe(true);
    expect(attempts[0].next_try_at).toBeNull();
    for (const failed of attempts.slice(1)) {
      expect(Date.parse(failed.next_try_at)).toBeGreaterThan(Date.parse(failed.attempted_at));
      expect(failed.latency_ms).toBeGreaterThanOrEqual(0);
    }
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  it('disables an endpoint that answers 410 Gone, and sends it nothing more', async () => {
    const receiver = await newReceiver({ status: 410 });
    const { id } = await register(receiver.redeemUrl);
    const first = await redeem();
    await waitForCallsFor(receiver, first.id, 1);
    await expect.poll(async () => (await call(`/v1/webhook-endpoints/${id}`)).body.status).toBe('disabled');

    const second = await redeem();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.calls).toHaveLength(1);
    expect(callsFor(receiver, second.id)).toHaveLength(0);
    const attempts = (await call(`/v1/webhook-endpoints/${id}/deliveries`)).body.data;
    expect(attempts).toMatchObject([{ attempt: 1, http_status: 410, succeeded: false, next_try_at: null }]);

    // Its lane has ended; deleting the endpoint brings it back to drop the attempts, which nothing can read any more.
    const lane = stack.client.workflow.getHandle(`webhook-lane/${id}`);
    await expect.poll(async () => (await lane.describe()).status.name, { timeout: 10_000 }).toBe('COMPLETED');
    expect((await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' })).status).toBe(204);
    await expect
      .poll(() => stack.mongo.db.collection('webhook_deliveries').countDocuments({ endpoint_id: id }), {
        timeout: 10_000,
      })
      .toBe(0);
  });

  it('signs with both secrets during the overlap after a rotation, then with the new one only', async () => {
    const receiver = await newReceiver();
    const { id, secret: oldSecret } = await register(receiver.redeemUrl, ['redemption.completed']);
    const before = await redeem();
    const [signedBefore] = await waitForCallsFor(receiver, before.id, 1);
    expect(await verified(oldSecret, signedBefore!)).toBe(true);
    expect(String(signedBefore!.headers['webhook-signature']).split(' ')).toHaveLength(1);

    const rotated = await call(`/v1/webhook-endpoints/${id}/rotate-secret`, { method: 'POST' });
    const newSecret = rotated.body.secret;
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(1_000);
    const during = await redeem();
    const [signedDuring] = await waitForCallsFor(receiver, during.id, 1);
    expect(String(signedDuring!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(await verified(newSecret, signedDuring!)).toBe(true);
    expect(await verified(oldSecret, signedDuring!)).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await redeem();
    const [signedAfter] = await waitForCallsFor(receiver, after.id, 1);
    expect(await verified(newSecret, signedAfter!)).toBe(true);
    expect(await verified(oldSecret, signedAfter!)).toBe(false);
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  it('does not slow redemptions or other endpoints while an endpoint holds every request without answering', async () => {
    const receiver = await newReceiver({ hang: true });
    const { id } = await register(receiver.redeemUrl);
    await redeem(); // warms the path up
    const started = Date.now();
    for (let index = 0; index < 3; index++) await redeem();
    // Each answers once completed; a redemption that waited for the endpoint would take its 1 s timeout per event.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(receiver.calls.length).toBeGreaterThan(0);
    // Nor does it hold up another endpoint's deliveries of the same redemption's events.
    const healthy = await newReceiver();
    const { id: healthyId } = await register(healthy.redeemUrl);
    const redemption = await redeem();
    expect((await waitForCallsFor(healthy, redemption.id, 3)).map((delivery) => delivery.body.type)).toEqual([
      'redemption.pending',
      'redemption.redeeming',
      'redemption.completed',
    ]);
    await call(`/v1/webhook-endpoints/${healthyId}`, { method: 'DELETE' });
    await expect
      .poll(async () => (await call(`/v1/webhook-endpoints/${id}/deliveries`)).body.data[0]?.error, { timeout: 5000 })
      .toBe('no answer within 1000 ms');
    await call(`/v1/webhook-endpoints/${id}`, { method: 'DELETE' });
  });

  // Last: it replaces the stack's worker.
  it('keeps retrying a delivery across a worker restart until the endpoint accepts it', async () => {
    const receiver = await newReceiver({ status: 500 });
    const { id } = await register(receiver.redeemUrl, ['redemption.completed']);
    const redemption = await redeem();
    await waitForCallsFor(receiver, redemption.id, 2);

    await stack.worker!.stop();
    receiver.setDefault({ status: 204 });
    const failedBefore = callsFor(receiver, redemption.id).length;
    replacement = await startTestWorker(stack.config, stack.mongo);

    await expect
      .poll(async () => (await call(`/v1/webhook-endpoints/${id}/deliveries`)).body.data[0]?.http_status, {
        timeout: 15_000,
      })
      .toBe(204);
    const received = callsFor(receiver, redemption.id);
    expect(received.length).toBeGreaterThan(failedBefore);
    expect(new Set(received.map((delivery) => delivery.headers['webhook-id'])).size).toBe(1);
  });
});
