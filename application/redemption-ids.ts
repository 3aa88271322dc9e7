/**
 * The ids of redemptions and of what happens to them, and the fingerprint of a request: stable for a client's
 * Idempotency-Key (whichever of its API keys sent it), so that the same key always lands on the same workflow.
 */
import { createHash, randomBytes } from 'node:crypto';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Uint8Array, length: number): string {
  return Array.from(bytes.subarray(0, length), (byte) => ID_ALPHABET[byte % 32]).join('');
}

/** Stable for a client's Idempotency-Key; random without one. */
export function redemptionIdFor(clientId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return `rdm_${base32(randomBytes(26), 26)}`;
  return `rdm_${base32(createHash('sha256').update(`${clientId}\n${idempotencyKey}`).digest(), 26)}`;
}

/**
 * Names a partial order cancellation: stable for a client's Idempotency-Key on that order, so a resent cancellation
 * is the same one and refunds nothing more; random without one.
 */
export function cancellationIdFor(clientId: string, orderId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return `ocx_${base32(randomBytes(26), 26)}`;
  const digest = createHash('sha256').update(`${clientId}\n${orderId}\n${idempotencyKey}`).digest();
  return `ocx_${base32(digest, 26)}`;
}

/** For a redemption named by a partner's own ids (e.g. Deliverect's orderId and programId): stable across deliveries. */
export function redemptionIdForPartner(partner: string, ...ids: string[]): string {
  return `rdm_${base32(
    createHash('sha256')
      .update([partner, ...ids].join('\n'))
      .digest(),
    26,
  )}`;
}

export function workflowIdOf(redemptionId: string): string {
  return `redemption-${redemptionId}`;
}

/** The workflow that handles a redemption's order events once the redemption's own workflow has ended. */
export function ordersWorkflowIdOf(redemptionId: string): string {
  return `redemption-${redemptionId}-orders`;
}

/** A request's fingerprint, whatever the order of its fields: the same Idempotency-Key must come with the same one. */
export function requestHashOf(request: object): string {
  const canonical = Object.fromEntries(Object.entries(request).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/**
 * An update's id on its workflow, the same for the same update with the same arguments: a request sent again while
 * its update still runs joins that update instead of adding one (Temporal caps the updates in flight on a workflow,
 * and refuses every further one at the cap), and once it has run gets its result.
 */
export function updateIdOf(updateName: string, args: readonly unknown[]): string {
  return `${updateName}-${createHash('sha256').update(canonicalJson(args)).digest('hex').slice(0, 32)}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
