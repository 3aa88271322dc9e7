import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoHandle } from '../../store/connect';
import { ensureIndexes } from '../../store/indexes';
import { ferretDbTables, withPostgres } from '../../store/ferretdb/lookup-indexes';
import { connectTestMongo, testConfig } from '../harness/stack';

describe('a process starting beside running ones', () => {
  const config = testConfig();
  let mongo: MongoHandle;

  beforeAll(async () => {
    mongo = await connectTestMongo(config);
  });
  afterAll(() => mongo?.client.close());

  // Regression: each start ran CREATE INDEX IF NOT EXISTS on every table in one transaction, which waits for the
  // writes in flight and then holds off every write to the store until it commits.
  it('creates its indexes without waiting for, or holding up, the writes of the others', async () => {
    const postgresUrl = config.mongo.postgresUrl;
    expect(postgresUrl, 'the tests run on FerretDB over PostgreSQL').toBeDefined();
    await withPostgres(postgresUrl!, async (writer) => {
      const tables = await ferretDbTables(writer, config.mongo.db);
      await writer.query('BEGIN');
      // What an insert or update in flight holds on the tables it writes.
      for (const collection of ['redemptions', 'webhook_outbox', 'ledger']) {
        const table = `${writer.escapeIdentifier(config.mongo.db)}.${writer.escapeIdentifier(tables.get(collection)!)}`;
        await writer.query(`LOCK TABLE ${table} IN ROW EXCLUSIVE MODE`);
      }
      try {
        const outcome = await Promise.race([
          ensureIndexes(mongo.db, postgresUrl).then(() => 'done'),
          new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000)),
        ]);
        expect(outcome).toBe('done');
      } finally {
        await writer.query('ROLLBACK');
      }
    });
  });
});
