/**
 * The whole store as the fuzzer compares it: every document of every collection that holds members, points,
 * redemptions (with their coupons), rewards or partner notifications. On FerretDB it is read from PostgreSQL in one query (the
 * fuzzer reads it around every refused request, and a round trip per collection through FerretDB costs more than
 * the request); on MongoDB through the driver.
 */
import { BSON, type Db } from 'mongodb';
import pg from 'pg';
import { ferretDbTables } from '../../store/ferretdb/lookup-indexes';

export const SNAPSHOT_COLLECTIONS = [
  'members',
  'ledger',
  'ledger_heads',
  'redemptions',
  'redemption_options',
  'partner_notifications',
  'webhook_endpoints',
] as const;

/** Collection → document id → the document as text. */
export type StoreSnapshot = Map<string, Map<string, string>>;

export interface StoreSnapshotter {
  snapshot(): Promise<StoreSnapshot>;
  close(): Promise<void>;
}

export async function storeSnapshotter(db: Db, postgresUrl: string | undefined): Promise<StoreSnapshotter> {
  if (!postgresUrl) {
    return { snapshot: () => snapshotThroughDriver(db), close: async () => undefined };
  }
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  const schema = client.escapeIdentifier(db.databaseName);
  const tables = await ferretDbTables(client, db.databaseName);
  const query = SNAPSHOT_COLLECTIONS.filter((name) => tables.has(name))
    .map(
      (name) =>
        `SELECT ${client.escapeLiteral(name)} AS collection, _jsonb->>'_id' AS id, _jsonb::text AS document ` +
        `FROM ${schema}.${client.escapeIdentifier(tables.get(name)!)}`,
    )
    .join(' UNION ALL ');
  return {
    async snapshot() {
      const snapshot: StoreSnapshot = new Map(SNAPSHOT_COLLECTIONS.map((name) => [name, new Map()]));
      const result = await client.query<{ collection: string; id: string; document: string }>(query);
      for (const row of result.rows) snapshot.get(row.collection)!.set(row.id, row.document);
      return snapshot;
    },
    close: () => client.end(),
  };
}

async function snapshotThroughDriver(db: Db): Promise<StoreSnapshot> {
  const snapshot: StoreSnapshot = new Map();
  await Promise.all(
    SNAPSHOT_COLLECTIONS.map(async (name) => {
      const documents = await db.collection(name).find({}).toArray();
      snapshot.set(name, new Map(documents.map((document) => [String(document._id), BSON.EJSON.stringify(document)])));
    }),
  );
  return snapshot;
}

export interface StoreChange {
  collection: string;
  id: string;
  kind: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
}

export function diffSnapshots(before: StoreSnapshot, after: StoreSnapshot): StoreChange[] {
  const changes: StoreChange[] = [];
  for (const collection of SNAPSHOT_COLLECTIONS) {
    const old = before.get(collection) ?? new Map<string, string>();
    const now = after.get(collection) ?? new Map<string, string>();
    for (const [id, document] of now) {
      const previous = old.get(id);
      if (previous === undefined) changes.push({ collection, id, kind: 'added', after: document });
      else if (previous !== document)
        changes.push({ collection, id, kind: 'changed', before: previous, after: document });
    }
    for (const [id, document] of old) {
      if (!now.has(id)) changes.push({ collection, id, kind: 'removed', before: document });
    }
  }
  return changes;
}

/** The documents of a snapshot's collection, parsed. */
export function documentsOf(snapshot: StoreSnapshot, collection: string): any[] {
  return [...(snapshot.get(collection)?.values() ?? [])].map((text) => JSON.parse(text));
}
