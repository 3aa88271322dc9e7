/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `Webhook-Signature: v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">`, keyed with the base64-decoded part of a `whsec_<base64>` secret. Web Crypto, so that
 * this stays free of Node imports; both the sender and a receiver (our tests) use it.
 */
import { SIGNATURE_TOLERANCE_SECONDS } from './webhooks';

const SECRET_PREFIX = 'whsec_';

/** A secret from random bytes (at least 24 of them). */
export function secretFromBytes(bytes: Uint8Array): string {
  return `${SECRET_PREFIX}${Buffer.from(bytes).toString('base64')}`;
}

async function hmac(secret: string, content: string): Promise<Uint8Array> {
  const keyBytes = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(content)));
}

/** The Webhook-Signature header value for one delivery attempt. */
export async function signWebhook(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  return `v1,${Buffer.from(await hmac(secret, `${id}.${timestamp}.${body}`)).toString('base64')}`;
}

function equalInConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a[index]! ^ b[index]!;
  return difference === 0;
}

export interface SignedDelivery {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
}

/**
 * What a receiver checks: a timestamp within the tolerance of its own clock (`nowSeconds`), and one of the
 * space-separated `v1,` signatures matching the HMAC of the raw body.
 */
export async function verifyWebhook(
  secret: string,
  delivery: SignedDelivery,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): Promise<boolean> {
  const { id, timestamp, signature, body } = delivery;
  if (!id || !timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = await hmac(secret, `${id}.${timestamp}.${body}`);
  return signature
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .some((part) => equalInConstantTime(Buffer.from(part.slice(3), 'base64'), expected));
}
