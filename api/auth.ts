import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { ApiKey } from '../config/env';
import { ApiError } from './errors';

/** Compares secrets in constant time; hashing first makes the lengths equal without leaking them. */
export function secretsMatch(given: string | Buffer, expected: string | Buffer): boolean {
  const digest = (value: string | Buffer) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Requires `Authorization: Bearer <key>` with one of the configured API keys; records its client on res.locals. */
export function requireApiKey(apiKeys: ApiKey[]): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req.header('authorization'));
    const match = token === undefined ? undefined : apiKeys.find(({ key }) => secretsMatch(token, key));
    if (match === undefined) {
      next(new ApiError(401, 'unauthenticated', 'Send a valid API key as "Authorization: Bearer <key>".'));
      return;
    }
    res.locals.clientId = match.client;
    next();
  };
}
