import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoHandle } from '../../store/connect';
import { WebhookDeliveries, WebhookOutbox, type OwedWebhookDocument } from '../../store/webhooks';
import { startDroppingProxy, type DroppingProxy } from '../harness/dropping-proxy';
import { connectTestMongo, testConfig } from '../harness/stack';

/** A command's first element names it: BSON string element "insert", then the collection. */
const isInsertInto = (collection: string) => (chunk: Buffer) =>
  chunk.includes(Buffer.from('\x02insert\x00', 'latin1')) && chunk.includes(`${collection}\x00`);

describe('a bulk insert whose connection drops', () => {
  const config = testConfig();
  let mongo: MongoHandle;
  let proxy: DroppingProxy;
  let proxied: MongoClient;
  let db: Db;

  beforeAll(async () => {
    mongo = await connectTestMongo(config);
    const store = new URL(config.mongo.uri);
    proxy = await startDroppingProxy({ host: store.hostname, port: Number(store.port) });
    proxied = await MongoClient.connect(`mongodb://127.0.0.1:${proxy.port}/?directConnection=true`, {
      serverSelectionTimeoutMS: 5_000,
      retryWrites: false,
    });
    db = proxied.db(config.mongo.db);
  });
  afterAll(async () => {
    await proxied?.close(true);
    await proxy?.close();
    await mongo?.client.close();
  });

  const owed = (endpointId: string, version: number): OwedWebhookDocument => ({
    _id: `${endpointId}/evt_${version}`,
    endpoint_id: endpointId,
    event_id: `evt_${version}`,
    event_type: 'redemption.completed',
    redemption_id: 'rdm_dropped',
    version,
    body: '{}',
    created_at: new Date(),
    attempts: 0,
  });

  // Regression: the driver reports such a failure as a bulk write error with no write errors, which once read as
  // "every key was already taken" — the status step went on as if its event were owed, and the event was never sent.
  it('fails the owing of an event, so that the status step is retried, instead of passing it off as a repeat', async () => {
    const outbox = new WebhookOutbox(db);
    proxy.dropNext(isInsertInto('webhook_outbox'));
    await expect(outbox.owe([owed('whe_dropped', 2)])).rejects.toThrow();
    expect(await new WebhookOutbox(mongo.db).forRedemption('whe_dropped', 'rdm_dropped')).toEqual([]);

    // The step's retry writes it; a repeat after that is the one failure that is passed over.
    await outbox.owe([owed('whe_dropped', 2)]);
    await outbox.owe([owed('whe_dropped', 2), owed('whe_dropped', 3)]);
    const rows = await new WebhookOutbox(mongo.db).forRedemption('whe_dropped', 'rdm_dropped');
    expect(rows.map((row) => row.version).sort()).toEqual([2, 3]);
  });

  it('fails the recording of delivery attempts rather than retrying them as if their numbers were taken', async () => {
    const deliveries = new WebhookDeliveries(db);
    proxy.dropNext(isInsertInto('webhook_deliveries'));
    const attempt = {
      endpoint_id: 'whe_dropped',
      event_id: 'evt_2',
      event_type: 'redemption.completed' as const,
      attempt: 1,
      http_status: 204,
      error: null,
      latency_ms: 3,
      succeeded: true,
      next_try_at: null,
      attempted_at: new Date(),
    };
    await expect(deliveries.record('whe_dropped', [attempt])).rejects.toThrow();
    await deliveries.record('whe_dropped', [attempt]);
    const page = await new WebhookDeliveries(mongo.db).listForEndpoint('whe_dropped', { skip: 0, limit: 10 });
    expect(page.items).toHaveLength(1);
  });
});
