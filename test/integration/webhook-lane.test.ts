import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookDelivery, type DeliverOwedWebhooksInput } from '../../activities/webhook-delivery';
import { DELIVERY_DEADLINE_MS } from '../../domain/webhook-retry';
import type { MongoHandle } from '../../store/connect';
import {
  WebhookDeliveries,
  WebhookEndpoints,
  WebhookOutbox,
  type DeliveryAttempt,
  type OwedWebhookDocument,
} from '../../store/webhooks';
import { WebhookHistory, type SentWebhookDocument } from '../../store/webhook-history';
import { MongoClient } from 'mongodb';
import { startDroppingProxy } from '../harness/dropping-proxy';
import { connectTestMongo, testConfig } from '../harness/stack';
import { startStubPartner, type StubPartner } from '../harness/stub-partner';

/** An endpoint's lane activity against the real store and a real receiver, with a read batch smaller than the backlog. */
describe('webhook lane', () => {
  let mongo: MongoHandle;
  const receivers: StubPartner[] = [];
  const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

  beforeAll(async () => {
    mongo = await connectTestMongo(testConfig());
  });
  afterAll(async () => {
    await mongo?.client.close();
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  const endpointFor = async (...args: Parameters<typeof startStubPartner>) => {
    const receiver = await startStubPartner(...args);
    receivers.push(receiver);
    const endpoint = await new WebhookEndpoints(mongo.db).create(
      { url: receiver.redeemUrl, events: ['*'], redemptions: 'own' },
      'merchant',
    );
    return { receiver, endpointId: endpoint._id };
  };
  const owed = (endpointId: string, redemptionId: string, version: number, createdAt = new Date()) =>
    ({
      _id: `${endpointId}/evt_${redemptionId}_${version}`,
      endpoint_id: endpointId,
      event_id: `evt_${redemptionId}_${version}`,
      event_type: 'redemption.redeeming',
      redemption_id: redemptionId,
      version,
      body: JSON.stringify({ id: `evt_${redemptionId}_${version}`, data: { id: redemptionId, version } }),
      created_at: createdAt,
      attempts: 0,
    }) satisfies OwedWebhookDocument;
  // The receivers listen on 127.0.0.1.
  const runLane = (endpointId: string, { allowPrivateUrls = true } = {}) => {
    const lane = createWebhookDelivery(mongo.db, { batchSize: 2, allowPrivateUrls }).deliverOwedWebhooks;
    const input: DeliverOwedWebhooksInput = {
      endpointId,
      retry: { initialIntervalMs: 1000, maximumIntervalMs: 4000 },
      timeoutMs: 1000,
    };
    return new MockActivityEnvironment(undefined, { logger: silentLogger }).run(lane, input);
  };
  const stillOwed = (endpointId: string) =>
    mongo.db.collection('webhook_outbox').countDocuments({ endpoint_id: endpointId });
  const attempts = (endpointId: string) =>
    mongo.db.collection('webhook_deliveries').find({ endpoint_id: endpointId }).sort({ attempted_at: 1 }).toArray();

  it("delivers a backlog larger than one read with each redemption's events in order, and empties the outbox", async () => {
    const { receiver, endpointId } = await endpointFor();
    const rows = ['rdm_a', 'rdm_b', 'rdm_c', 'rdm_d'].flatMap((id) => [1, 2, 3].map((v) => owed(endpointId, id, v)));
    // Written newest first, so that a read in storage order meets a redemption's later events before its earlier ones.
    await new WebhookOutbox(mongo.db).owe(rows.reverse());

    await expect(runLane(endpointId)).resolves.toEqual({ outcome: 'idle' });
    expect(receiver.calls).toHaveLength(12);
    for (const id of ['rdm_a', 'rdm_b', 'rdm_c', 'rdm_d']) {
      const versions = receiver.calls.filter((call) => call.body.data.id === id).map((call) => call.body.data.version);
      expect(versions).toEqual([1, 2, 3]);
    }
    expect(await stillOwed(endpointId)).toBe(0);
    expect((await attempts(endpointId)).every((attempt) => attempt.succeeded && attempt.attempt === 1)).toBe(true);
  });

  it("holds back only the failed event's redemption, and tries that event again once its backoff is over", async () => {
    const { receiver, endpointId } = await endpointFor();
    receiver.setDefault((call) => (call.body.data.id === 'rdm_e' ? { status: 400 } : { status: 200 }));
    await new WebhookOutbox(mongo.db).owe([
      owed(endpointId, 'rdm_e', 1),
      owed(endpointId, 'rdm_e', 2),
      owed(endpointId, 'rdm_e_other', 1),
      owed(endpointId, 'rdm_e_other', 2),
    ]);

    const waiting = await runLane(endpointId);
    expect(waiting).toMatchObject({ outcome: 'waiting' });
    expect((waiting as { nextTryInMs: number }).nextTryInMs).toBeGreaterThan(500);
    expect((waiting as { nextTryInMs: number }).nextTryInMs).toBeLessThanOrEqual(1000);
    const sent = (id: string) =>
      receiver.calls.filter((call) => call.body.data.id === id).map((call) => call.body.data.version);
    expect(sent('rdm_e')).toEqual([1]);
    expect(sent('rdm_e_other')).toEqual([1, 2]);
    expect(await stillOwed(endpointId)).toBe(2);
    const [attempt] = (await attempts(endpointId)).filter((each) => !each.succeeded);
    expect(attempt).toMatchObject({ attempt: 1, http_status: 400, succeeded: false });
    expect(attempt!.next_try_at.getTime() - attempt!.attempted_at.getTime()).toBeGreaterThanOrEqual(1000);

    // Not due yet: nothing is sent.
    await expect(runLane(endpointId)).resolves.toMatchObject({ outcome: 'waiting' });
    expect(sent('rdm_e')).toEqual([1]);

    receiver.setDefault({ status: 200 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expect(runLane(endpointId)).resolves.toEqual({ outcome: 'idle' });
    expect(sent('rdm_e')).toEqual([1, 1, 2]);
    const forE = (await attempts(endpointId)).filter((each) => /^evt_rdm_e_\d/.test(each.event_id));
    expect(forE.map((each) => [each.event_id, each.attempt, each.succeeded])).toEqual([
      ['evt_rdm_e_1', 1, false],
      ['evt_rdm_e_1', 2, true],
      ['evt_rdm_e_2', 1, true],
    ]);
  });

  it('delivers what is due past a backlog larger than a read of events waiting for their next try', async () => {
    const { receiver, endpointId } = await endpointFor();
    const later = new Date(Date.now() + 60_000);
    const waitingRows = ['rdm_w1', 'rdm_w2', 'rdm_w3'].map((id) => ({
      ...owed(endpointId, id, 1),
      attempts: 1,
      due_at: later,
    }));
    // rdm_w1's second event is due, but its first is not: it waits its turn.
    await new WebhookOutbox(mongo.db).owe([
      ...waitingRows,
      owed(endpointId, 'rdm_w1', 2),
      owed(endpointId, 'rdm_ok', 2),
      owed(endpointId, 'rdm_ok', 1),
    ]);

    const result = await runLane(endpointId);
    expect(result).toMatchObject({ outcome: 'waiting' });
    expect((result as { nextTryInMs: number }).nextTryInMs).toBeGreaterThan(50_000);
    expect(receiver.calls.map((call) => [call.body.data.id, call.body.data.version])).toEqual([
      ['rdm_ok', 1],
      ['rdm_ok', 2],
    ]);
    expect(await stillOwed(endpointId)).toBe(4);
  });

  it('gives an event up when its next try would fall after its 3 days', async () => {
    const { receiver, endpointId } = await endpointFor({ status: 503 });
    const nearlyThreeDaysAgo = new Date(Date.now() - DELIVERY_DEADLINE_MS + 500);
    await new WebhookOutbox(mongo.db).owe([owed(endpointId, 'rdm_f', 1, nearlyThreeDaysAgo)]);

    await expect(runLane(endpointId)).resolves.toEqual({ outcome: 'idle' });
    expect(receiver.calls).toHaveLength(1);
    expect(await stillOwed(endpointId)).toBe(0);
    expect(await attempts(endpointId)).toMatchObject([{ attempt: 1, http_status: 503, next_try_at: null }]);
  });

  it('keeps what it delivered or gave up for replays, and retries a replayed event from its replay, as a replay', async () => {
    const { receiver, endpointId } = await endpointFor();
    receiver.setDefault((call) => (call.body.data.id === 'rdm_k_refused' ? { status: 500 } : { status: 200 }));
    const pastItsDeadline = new Date(Date.now() - DELIVERY_DEADLINE_MS - 60_000);
    const outbox = new WebhookOutbox(mongo.db);
    await outbox.owe([owed(endpointId, 'rdm_k', 1), owed(endpointId, 'rdm_k_refused', 1, pastItsDeadline)]);
    await expect(runLane(endpointId)).resolves.toEqual({ outcome: 'idle' });
    const kept = () =>
      mongo.db.collection<SentWebhookDocument>('webhook_history').find({ endpoint_id: endpointId }).toArray();
    expect((await kept()).map((event) => event.event_id).sort()).toEqual(['evt_rdm_k_1', 'evt_rdm_k_refused_1']);

    // Owed again by a replay: retried for 3 days from now, though it happened before that; not kept a second time.
    expect(await outbox.oweAgain(await kept(), new Date())).toBe(2);
    await expect(runLane(endpointId)).resolves.toMatchObject({ outcome: 'waiting' });
    const refused = (await attempts(endpointId)).filter((attempt) => attempt.event_id === 'evt_rdm_k_refused_1');
    expect(refused).toMatchObject([
      { attempt: 1, replay: false, next_try_at: null },
      { attempt: 1, replay: true, next_try_at: expect.any(Date) },
    ]);
    expect(await kept()).toHaveLength(2);
    expect(await stillOwed(endpointId)).toBe(1);
    // Owed again while its replay is still owed: only the other one is.
    expect(await outbox.oweAgain(await kept(), new Date())).toBe(1);
    expect(await stillOwed(endpointId)).toBe(2);
  });

  it('ends, dropping what was owed, once its endpoint is deleted or answers 410 Gone', async () => {
    const deleted = await endpointFor();
    await new WebhookOutbox(mongo.db).owe([owed(deleted.endpointId, 'rdm_g', 1)]);
    await new WebhookEndpoints(mongo.db).delete(deleted.endpointId);
    await expect(runLane(deleted.endpointId)).resolves.toEqual({ outcome: 'ended', why: 'endpoint deleted' });
    expect(deleted.receiver.calls).toHaveLength(0);
    expect(await stillOwed(deleted.endpointId)).toBe(0);

    const gone = await endpointFor({ status: 410 });
    await new WebhookOutbox(mongo.db).owe([owed(gone.endpointId, 'rdm_h', 1), owed(gone.endpointId, 'rdm_h', 2)]);
    await expect(runLane(gone.endpointId)).resolves.toMatchObject({ outcome: 'ended' });
    expect(gone.receiver.calls).toHaveLength(1);
    expect(await stillOwed(gone.endpointId)).toBe(0);
    expect((await new WebhookEndpoints(mongo.db).get(gone.endpointId))?.status).toBe('disabled');
  });

  it('sends nothing to a private address unless private URLs are allowed, and says why in the attempt', async () => {
    const { receiver, endpointId } = await endpointFor();
    await new WebhookOutbox(mongo.db).owe([owed(endpointId, 'rdm_private', 1)]);
    await expect(runLane(endpointId, { allowPrivateUrls: false })).resolves.toMatchObject({ outcome: 'waiting' });
    expect(receiver.calls).toHaveLength(0);
    expect(await attempts(endpointId)).toMatchObject([
      { http_status: null, succeeded: false, error: expect.stringMatching(/^EADDRNOTPUBLIC: /) },
    ]);
    expect(await stillOwed(endpointId)).toBe(1);
  });

  it('writes an event once per endpoint however often a repeated step owes it', async () => {
    const { endpointId } = await endpointFor();
    const outbox = new WebhookOutbox(mongo.db);
    await outbox.owe([owed(endpointId, 'rdm_i', 1)]);
    await outbox.owe([owed(endpointId, 'rdm_i', 1), owed(endpointId, 'rdm_i', 2)]);
    expect(await stillOwed(endpointId)).toBe(2);
  });

  describe("an endpoint's attempts, numbered like the ledger", () => {
    const attempt = (endpointId: string, n: number, attemptedAt = new Date()): DeliveryAttempt => ({
      endpoint_id: endpointId,
      event_id: `evt_${n}`,
      event_type: 'redemption.completed',
      attempt: 1,
      http_status: 200,
      error: null,
      latency_ms: 1,
      succeeded: true,
      next_try_at: null,
      attempted_at: attemptedAt,
    });
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
    const recordRange = (deliveries: WebhookDeliveries, endpointId: string, from: number, to: number, at: Date) =>
      deliveries.record(
        endpointId,
        Array.from({ length: to - from + 1 }, (_, index) => attempt(endpointId, from + index, at)),
      );
    const pageOf = async (deliveries: WebhookDeliveries, endpointId: string, skip: number, limit: number) => {
      const { items, total } = await deliveries.listForEndpoint(endpointId, { skip, limit });
      return { events: items.map((item) => item.event_id), total };
    };

    it('pages newest first across blocks, and counts every attempt', async () => {
      const deliveries = new WebhookDeliveries(mongo.db);
      for (let round = 0; round < 7; round++) {
        await deliveries.record(
          'whe_paged',
          Array.from({ length: 20 }, (_, index) => attempt('whe_paged', round * 20 + index + 1)),
        );
      }
      expect(await pageOf(deliveries, 'whe_paged', 0, 3)).toEqual({
        events: ['evt_140', 'evt_139', 'evt_138'],
        total: 140,
      });
      const across = await pageOf(deliveries, 'whe_paged', 88, 5);
      expect(across.events).toEqual(['evt_52', 'evt_51', 'evt_50', 'evt_49', 'evt_48']);
      expect((await pageOf(deliveries, 'whe_paged', 100, 100)).events).toHaveLength(40);
      expect(await pageOf(deliveries, 'whe_paged', 140, 10)).toEqual({ events: [], total: 140 });
    });

    it('drops attempts past the retention a whole block at a time, never the newest block, and numbers on', async () => {
      const deliveries = new WebhookDeliveries(mongo.db);
      // Blocks 0 and 1 (attempts 1–100) are 40 days old; block 2 starts old and ends recent.
      await recordRange(deliveries, 'whe_kept', 1, 120, daysAgo(40));
      await recordRange(deliveries, 'whe_kept', 121, 130, daysAgo(1));
      await expect(deliveries.prune('whe_kept', daysAgo(30))).resolves.toBe(2);
      const page = await pageOf(deliveries, 'whe_kept', 0, 200);
      expect(page.total).toBe(130);
      expect(page.events).toEqual(Array.from({ length: 30 }, (_, index) => `evt_${130 - index}`));
      // Where it stopped is kept: the next call reads one block and drops nothing.
      await expect(deliveries.prune('whe_kept', daysAgo(30))).resolves.toBe(0);
      await recordRange(new WebhookDeliveries(mongo.db), 'whe_kept', 131, 131, new Date());
      expect((await pageOf(deliveries, 'whe_kept', 0, 1)).events).toEqual(['evt_131']);

      // All of it old: the block of the newest attempt stays, so that numbering still finds its place.
      await recordRange(deliveries, 'whe_all_old', 1, 75, daysAgo(40));
      await expect(deliveries.prune('whe_all_old', daysAgo(30))).resolves.toBe(1);
      expect((await pageOf(deliveries, 'whe_all_old', 0, 100)).events).toHaveLength(25);
      await recordRange(new WebhookDeliveries(mongo.db), 'whe_all_old', 76, 76, new Date());
      expect(await pageOf(deliveries, 'whe_all_old', 0, 1)).toEqual({ events: ['evt_76'], total: 76 });
    });

    it("is pruned by the endpoint's lane with the events kept for replays, and dropped whole once the endpoint is deleted", async () => {
      const { endpointId } = await endpointFor();
      const deliveries = new WebhookDeliveries(mongo.db);
      await recordRange(deliveries, endpointId, 1, 60, daysAgo(31));
      await mongo.db
        .collection('webhook_endpoints')
        .updateOne({ _id: endpointId as never }, { $set: { created_at: daysAgo(40) } });
      const sent = (version: number, at: Date) => owed(endpointId, 'rdm_pruned', version, at);
      await new WebhookHistory(mongo.db).keep([sent(1, daysAgo(39)), sent(2, daysAgo(31)), sent(3, daysAgo(1))]);
      const kept = async () =>
        (await mongo.db.collection('webhook_history').find({ endpoint_id: endpointId }).toArray()).map(
          (event) => event.version,
        );
      await expect(runLane(endpointId)).resolves.toEqual({ outcome: 'idle' });
      expect(await attempts(endpointId)).toHaveLength(10);
      expect(await kept()).toEqual([3]);

      await new WebhookEndpoints(mongo.db).delete(endpointId);
      await expect(runLane(endpointId)).resolves.toEqual({ outcome: 'ended', why: 'endpoint deleted' });
      expect(await attempts(endpointId)).toEqual([]);
      expect(await kept()).toEqual([]);
      expect(await pageOf(deliveries, endpointId, 0, 10)).toEqual({ events: [], total: 0 });
    });

    it('goes on after the newest attempt when the head lags it, and when another process recorded meanwhile', async () => {
      const first = new WebhookDeliveries(mongo.db);
      await first.record('whe_lagging', [attempt('whe_lagging', 1), attempt('whe_lagging', 2)]);
      // A crash between the attempts and the head: the head says 0.
      await mongo.db
        .collection('webhook_delivery_heads')
        .updateOne({ _id: 'whe_lagging' as never }, { $set: { seq: 0 } });
      const second = new WebhookDeliveries(mongo.db);
      await second.record(
        'whe_lagging',
        Array.from({ length: 60 }, (_, index) => attempt('whe_lagging', index + 3)),
      );
      // The first process still believes 2 is the newest.
      await first.record('whe_lagging', [attempt('whe_lagging', 63)]);
      const all = await pageOf(second, 'whe_lagging', 0, 100);
      expect(all.total).toBe(63);
      expect(all.events).toEqual(Array.from({ length: 63 }, (_, index) => `evt_${63 - index}`));
    });
  });
  // Regression (chaos): a run waited for ever on a store connection lost without a word and beat on all the while, so
  // Temporal never ran the lane again and the endpoint's backlog only grew.
  it('stops beating once its run is stuck on the store, so that Temporal runs the lane again', async () => {
    const { endpointId } = await endpointFor();
    const store = new URL(testConfig().mongo.uri);
    const proxy = await startDroppingProxy({ host: store.hostname, port: Number(store.port) });
    const client = new MongoClient(`mongodb://127.0.0.1:${proxy.port}/?directConnection=true`, {
      ignoreUndefined: true,
    });
    await client.connect();
    try {
      proxy.stallNext((chunk) => chunk.includes('webhook_outbox'));
      const lane = createWebhookDelivery(client.db(mongo.db.databaseName), { allowPrivateUrls: true });
      const environment = new MockActivityEnvironment(undefined, { logger: silentLogger });
      const beats: number[] = [];
      environment.on('heartbeat', () => beats.push(Date.now()));
      const started = Date.now();
      const input: DeliverOwedWebhooksInput = {
        endpointId,
        retry: { initialIntervalMs: 1000, maximumIntervalMs: 4000 },
        timeoutMs: 100,
      };
      const run = environment.run(lane.deliverOwedWebhooks, input).catch(() => 'given up');
      await new Promise((resolve) => setTimeout(resolve, 16_000));
      // It beat while it could still be making progress (2 × the attempt timeout + 10 s), then stopped.
      expect(beats.length).toBeGreaterThan(0);
      expect(beats.at(-1)! - started).toBeLessThan(11_000);
      expect(Date.now() - beats.at(-1)!).toBeGreaterThan(4_000);
      await client.close(true);
      await run;
    } finally {
      await client.close(true);
      await proxy.close();
    }
  }, 40_000);
});
