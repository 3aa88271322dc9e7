/**
 * Whether a store error means the store (or what it runs on) is unreachable, rather than that the command was wrong:
 * the driver's network, pool and server-selection errors, and FerretDB's word that its PostgreSQL is gone. FerretDB v1
 * reports a lost backend as `InternalError` (code 1) whose message carries PostgreSQL's connection failure.
 */
import { MongoNetworkError, MongoServerError } from 'mongodb';

/** What FerretDB's InternalError says when its PostgreSQL is down, restarting or dropped the connection. */
const FERRETDB_BACKEND_LOST =
  /failed to connect|connection refused|conn closed|unexpected EOF|broken pipe|connection reset|SQLSTATE (57P0[1-3]|08\w{3})/;

export function isStoreOutage(error: unknown): boolean {
  const name = (error as Error)?.name ?? '';
  return (
    // The driver's network errors include its pool's (PoolClearedOnNetworkError and the like).
    error instanceof MongoNetworkError ||
    /^Mongo(ServerSelection|NotConnected|Topology)/.test(name) ||
    (error instanceof MongoServerError && error.code === 1 && FERRETDB_BACKEND_LOST.test(error.message))
  );
}
