/**
 * How a partner's credential travels, per its scheme: the headers our calls to it carry, and the HMAC that a signed
 * webhook from it is checked against.
 */
import { createHmac } from 'node:crypto';
import type { AuthScheme } from './partners';

export const HMAC_HEADER = 'x-server-authorization-hmac-sha256';

export function hmacSha256Hex(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** The headers that carry our credential to a partner, per its scheme. */
export function outboundAuthHeaders(
  scheme: AuthScheme,
  secret: string | undefined,
  body: string,
): Record<string, string> {
  if (!secret) return {};
  switch (scheme) {
    case 'api-token':
      return { 'api-token': secret };
    case 'bearer':
      return { authorization: `Bearer ${secret}` };
    case 'hmac-sha256':
      return { [HMAC_HEADER]: hmacSha256Hex(secret, body) };
  }
}
