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

/**
 * Temporal refuses an update while the workflow's last task failed or timed out (a worker died holding it) and is being
 * tried again: the workflow is recovering, and the same request shortly after is taken.
 */
function isWorkflowRecovering(error: unknown): boolean {
  const message = (error as Error)?.message;
  return typeof message === 'string' && message.includes('Workflow Task in failed state');
}

/** gRPC's RESOURCE_EXHAUSTED: Temporal sheds load (a workflow at its cap of updates in flight, a rate limit). */
const GRPC_RESOURCE_EXHAUSTED = 8;

function isTemporalShedding(error: unknown): boolean {
  return (error as { code?: unknown })?.code === GRPC_RESOURCE_EXHAUSTED && 'metadata' in (error as object);
}

export function isDependencyOutage(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return (
    isStoreOutage(error) ||
    // Temporal's client reports an unreachable server as a gRPC ServiceError; its native connection, when it cannot
    // connect at all, as a TransportError.
    ['ServiceError', 'TransportError'].includes((error as Error)?.name) ||
    isWorkflowRecovering(error) ||
    isTemporalShedding(error) ||
    (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code))
  );
}
