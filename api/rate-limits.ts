/**
 * Optional per-client rate limits (API_RATE_LIMITS): a client past its requests for the window is answered 429 with
 * Retry-After, before anything is read or changed. One limiter per window length, each counting the clients whose
 * limit has that window; every API process counts on its own, so N replicas allow N times the limit at most.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { RateLimit } from '../config/env';
import { callerOf } from './auth';
import { ApiError } from './errors';

export function rateLimitByClient(limits: Map<string, RateLimit>): RequestHandler[] {
  const limitOf = (client: string) => limits.get(client) ?? limits.get('*');
  const windows = new Set([...limits.values()].map(({ windowMs }) => windowMs));
  return [...windows].map((windowMs) =>
    rateLimit({
      windowMs,
      limit: (_req, res) => limitOf(callerOf(res).client)!.limit,
      skip: (_req, res) => limitOf(callerOf(res).client)?.windowMs !== windowMs,
      keyGenerator: (_req, res) => callerOf(res).client,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      // The key is the client, not an address: the proxy and IPv6 checks do not apply.
      validate: false,
      handler: (_req, res, next) => {
        const retryAfter = res.getHeader('retry-after');
        next(
          new ApiError(
            429,
            'rate_limited',
            `Client ${callerOf(res).client} sent more requests than its limit allows; retry after ${retryAfter} seconds.`,
          ),
        );
      },
    }),
  );
}
