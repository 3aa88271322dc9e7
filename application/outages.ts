/**
 * Whether a failure means a backing service is down (the store, Temporal, or the network to them), so that the caller
 * should try again shortly, rather than that something was wrong with the request or with our code.
 */
import { isStoreOutage } from '../store/outage';

/** A connection to a backing service failed: some reach us as the socket's own error, not wrapped by the driver. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTCONN',
]);

export function isDependencyOutage(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return (
    isStoreOutage(error) ||
    // Temporal's client reports an unreachable server as a gRPC ServiceError.
    (error as Error)?.name === 'ServiceError' ||
    (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code))
  );
}
