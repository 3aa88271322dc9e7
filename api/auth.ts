import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { ApiKey } from '../config/env';
import type { Caller, Scope } from '../domain/scopes';
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

/** The API key a request's bearer token is, if it is one. */
export function apiKeyOfRequest(apiKeys: ApiKey[], authorization: string | undefined): ApiKey | undefined {
  const token = bearerToken(authorization);
  return token === undefined ? undefined : apiKeys.find(({ key }) => secretsMatch(token, key));
}

/** Requires `Authorization: Bearer <key>` with one of the configured API keys; records its caller on res.locals. */
export function requireApiKey(apiKeys: ApiKey[]): RequestHandler {
  return (req, res, next) => {
    const match = apiKeyOfRequest(apiKeys, req.header('authorization'));
    if (match === undefined) {
      next(new ApiError(401, 'unauthenticated', 'Send a valid API key as "Authorization: Bearer <key>".'));
      return;
    }
    const caller: Caller = { client: match.client, scopes: match.scopes };
    res.locals.caller = caller;
    next();
  };
}

/** Whether the request carries the metrics token (none configured: never). */
export function carriesMetricsToken(metricsToken: string | undefined, authorization: string | undefined): boolean {
  const token = bearerToken(authorization);
  return metricsToken !== undefined && token !== undefined && secretsMatch(token, metricsToken);
}

/** The caller requireApiKey recorded. */
export function callerOf(res: Response): Caller {
  return res.locals.caller as Caller;
}

/** Refuses, before anything is read or changed, a caller whose key has none of `scopes`; names what it lacks. */
export function requireScope(caller: Caller, scopes: readonly Scope[]): void {
  if (scopes.some((scope) => caller.scopes.has(scope))) return;
  const needed = scopes.map((scope) => `"${scope}"`).join(' or ');
  throw new ApiError(
    403,
    'insufficient_scope',
    `This API key lacks the scope ${needed} that this call needs; use a key of client ${caller.client} that has it.`,
    [{ path: 'scope', message: `requires ${scopes.join(' or ')}` }],
  );
}
