/**
 * A process's store client is stuck when it keeps failing although a new client reaches the store: then, and only
 * then, liveness asks for a restart. A store that is down makes the process unready, not dead.
 */
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/processes';
import { StoreClientHealth } from '../../store/client-health';
import { testConfig } from '../harness/stack';

describe('the store client health', () => {
  const config = testConfig();
  const clients: MongoClient[] = [];
  /** A client of ours, connected (lazily) to `uri`. */
  const clientOf = (uri: string) => {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500 });
    clients.push(client);
    return client.db(config.mongo.db);
  };
  afterAll(async () => {
    for (const client of clients) await client.close();
  });

  it('is fine when its client reaches the store', async () => {
    const health = new StoreClientHealth(clientOf(config.mongo.uri), config.mongo, 0);
    expect(await health.problem()).toBeUndefined();
    expect(await health.isStuck()).toBe(false);
  });

  it('is stuck when its client fails while a new client reaches the store', async () => {
    // Our client talks to nothing, as a client whose pool never recovered would.
    const deadEnd = `mongodb://127.0.0.1:${await freePort()}`;
    const health = new StoreClientHealth(clientOf(deadEnd), config.mongo, 0);
    expect(await health.problem()).toMatch(/^unreachable/);
    expect(await health.isStuck()).toBe(true);
  });

  it('is not stuck while it has failed for less than its grace', async () => {
    const deadEnd = `mongodb://127.0.0.1:${await freePort()}`;
    const health = new StoreClientHealth(clientOf(deadEnd), config.mongo, 60_000);
    expect(await health.isStuck()).toBe(false);
  });

  it('is only unready, not stuck, when the store itself is down', async () => {
    const deadEnd = `mongodb://127.0.0.1:${await freePort()}`;
    const health = new StoreClientHealth(clientOf(deadEnd), { ...config.mongo, uri: deadEnd }, 0);
    expect(await health.problem()).toMatch(/^unreachable/);
    expect(await health.isStuck()).toBe(false);
  });
});
