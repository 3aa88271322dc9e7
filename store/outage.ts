/**
 * Whether a store error means the store (or what it runs on) is unreachable, rather than that the command was wrong:
 * the driver's network, pool and server-selection errors, and FerretDB's word that its PostgreSQL is gone. FerretDB v1
 * reports a lost backend as `InternalError` (code 1) whose message carries PostgreSQL's connection failure.
 */
import { MongoNetworkError, MongoServerError, type Collection, type Document } from 'mongodb';

/**
 * The store answered as if a collection that exists were empty: FerretDB v1 whose metadata load PostgreSQL cut short
 * lists none of the database's collections, and finds nothing in them, until it is restarted (store/ferretdb/registry.ts).
 */
export class StoreViewIncompleteError extends Error {
  constructor(collection: string) {
    super(`The store does not list the collection ${collection}: its view of the database is incomplete`);
    this.name = 'StoreViewIncompleteError';
  }
}

/**
 * Before a request is refused because the store found nothing, the store must show the collection it looked in: a
 * store that lists none of the database's collections is down, not empty. One round trip, on refusals only.
 */
export async function confirmNothingFound<T extends Document>(collection: Collection<T>): Promise<void> {
  const { collectionName } = collection;
  const listed = await collection.db.listCollections({ name: collectionName }, { nameOnly: true }).toArray();
  if (listed.length === 0) throw new StoreViewIncompleteError(collectionName);
}

/** What FerretDB's InternalError says when its PostgreSQL is down, restarting or dropped the connection. */
const FERRETDB_BACKEND_LOST =
  /failed to connect|connection refused|conn closed|unexpected EOF|broken pipe|connection reset|SQLSTATE (57P0[1-3]|08\w{3})/;

export function isStoreOutage(error: unknown): boolean {
  const name = (error as Error)?.name ?? '';
  return (
    // The driver's network errors include its pool's (PoolClearedOnNetworkError and the like).
    error instanceof MongoNetworkError ||
    error instanceof StoreViewIncompleteError ||
    /^Mongo(ServerSelection|NotConnected|Topology)/.test(name) ||
    (error instanceof MongoServerError && error.code === 1 && FERRETDB_BACKEND_LOST.test(error.message))
  );
}
