/**
 * FerretDB v1 keeps its databases' metadata in memory, loaded from PostgreSQL on first use. If PostgreSQL fails in the
 * middle of that load, FerretDB keeps the databases it had loaded and never loads the rest: from then on it lists none
 * of their collections and refuses to create them again (PostgreSQL's 42P07: the table exists), until it is restarted.
 * This compares the databases FerretDB lists with those its PostgreSQL holds, so that readiness and the supervisor of
 * an embedded store can tell.
 */
import type { MongoClient } from 'mongodb';
import { withPostgres } from './lookup-indexes';

/**
 * What is wrong with FerretDB's view of its databases (or of `database` alone), or undefined when it lists every one
 * its PostgreSQL holds.
 */
export async function ferretDbRegistryProblem(
  client: MongoClient,
  postgresUrl: string,
  database?: string,
): Promise<string | undefined> {
  const stored = await withPostgres(postgresUrl, async (postgres) => {
    const { rows } = await postgres.query<{ schema: string }>(
      `SELECT table_schema AS schema FROM information_schema.tables ` +
        `WHERE table_name = '_ferretdb_database_metadata' AND ($1::text IS NULL OR table_schema = $1)`,
      [database ?? null],
    );
    return rows.map(({ schema }) => schema);
  });
  const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
  const listed = new Set(databases.map(({ name }) => name));
  const missing = stored.filter((name) => !listed.has(name));
  if (missing.length === 0) return undefined;
  return `FerretDB lists none of the collections of ${missing.join(', ')}, which its PostgreSQL holds: restart it`;
}
