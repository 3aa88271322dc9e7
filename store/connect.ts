import { MongoClient, type Db } from 'mongodb';
import type { MongoSettings } from '../config/env';
import { ensureIndexes } from './indexes';

export interface MongoHandle {
  client: MongoClient;
  db: Db;
}

/** Connects, and creates the indexes the ledger's correctness depends on before anything writes. */
export async function connectMongo(settings: MongoSettings): Promise<MongoHandle> {
  // ignoreUndefined: an absent optional field stays absent, rather than being stored as null.
  const client = new MongoClient(settings.uri, {
    serverSelectionTimeoutMS: 5_000,
    appName: 'redemption-orchestrator',
    ignoreUndefined: true,
  });
  try {
    await client.connect();
    const db = client.db(settings.db);
    await ensureIndexes(db, settings.postgresUrl);
    return { client, db };
  } catch (error) {
    await client.close();
    throw error;
  }
}
