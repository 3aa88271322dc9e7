/**
 * GIN indexes for FerretDB v1 on PostgreSQL. FerretDB keeps each collection as a table of one `_jsonb` column and
 * turns an equality filter into `_jsonb->'field' @> value`; only a GIN index on that very expression lets PostgreSQL
 * answer it without reading the whole table. FerretDB does not make such indexes, so we do, next to its tables.
 */
import pg from 'pg';

/** FerretDB's table of collection → table name, in the schema named after the database. */
const METADATA_TABLE = '_ferretdb_database_metadata';

/** Runs `work` on a connection to the PostgreSQL under FerretDB, closed afterwards. */
export async function withPostgres<T>(postgresUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl });
  // PostgreSQL dying mid-query also rejects the query; unheard, the client's 'error' event would end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The table FerretDB keeps each collection of `database` in, by collection name. */
export async function ferretDbTables(client: pg.Client, database: string): Promise<Map<string, string>> {
  const { rows } = await client.query<{ collection: string; table: string }>(
    `SELECT _jsonb->>'_id' AS collection, _jsonb->>'table' AS table ` +
      `FROM ${client.escapeIdentifier(database)}.${client.escapeIdentifier(METADATA_TABLE)}`,
  );
  return new Map(rows.map((row) => [row.collection, row.table]));
}

export function createLookupIndexes(
  postgresUrl: string,
  database: string,
  fieldsByCollection: Record<string, string[]>,
): Promise<void> {
  return withPostgres(postgresUrl, async (client) => {
    const schema = client.escapeIdentifier(database);
    await client.query('BEGIN');
    // API and workers start together: one creates, the others find the indexes there.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`lookup-indexes:${database}`]);
    const tables = await ferretDbTables(client, database);
    // Only the missing ones: even CREATE INDEX IF NOT EXISTS locks its table against writes until COMMIT, so a
    // process starting next to running ones would otherwise stall every write to the store for a moment.
    const { rows } = await client.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE schemaname = $1',
      [database],
    );
    const existing = new Set(rows.map((row) => row.indexname));
    for (const [collection, fields] of Object.entries(fieldsByCollection)) {
      const table = tables.get(collection);
      if (!table) throw new Error(`FerretDB has no table for collection ${collection} in database ${database}.`);
      for (const field of fields) {
        const name = `${table}_${field}_lookup`.slice(0, 63);
        if (existing.has(name)) continue;
        await client.query(
          `CREATE INDEX ${client.escapeIdentifier(name)} ON ${schema}.${client.escapeIdentifier(table)} ` +
            `USING gin ((_jsonb->${client.escapeLiteral(field)}) jsonb_path_ops)`,
        );
      }
    }
    await client.query('COMMIT');
  });
}
