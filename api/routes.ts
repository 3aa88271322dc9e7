import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  extendZodWithOpenApi,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Scope } from '../domain/scopes';
import { callerOf, requireScope } from './auth';
import { parseInput } from './validation';

extendZodWithOpenApi(z);

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'invalid_request' }),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  })
  .meta({ id: 'Error' });

const IDEMPOTENCY_KEY = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** An optional `Idempotency-Key` request header, described for the route that reads it. */
export function idempotencyKeyHeader(description: string) {
  return (
    z
      .string()
      .max(255, 'must be 1 to 255 characters')
      // HTTP drops the spaces around a header value, and a value holds visible ASCII and inner spaces: no tab, no
      // byte outside ASCII, which the header carries only as Latin-1 guesswork.
      .regex(IDEMPOTENCY_KEY, 'must be 1 to 255 characters of visible ASCII, with spaces only inside')
      .optional()
      .meta({ description })
  );
}

/** The `{}` partners expect from a webhook that succeeded. */
export const emptyAnswerSchema = z.object({}).meta({ id: 'EmptyAnswer' });

type Method = 'get' | 'post' | 'delete';

export interface RouteInput<B, P, Q, H = undefined> {
  body: B;
  params: P;
  query: Q;
  headers: H;
}

export interface RouteDefinition<
  B extends z.ZodType,
  P extends z.ZodType,
  Q extends z.ZodType,
  H extends z.ZodObject = z.ZodObject,
> {
  method: Method;
  /** OpenAPI-style path, e.g. `/v1/members/{id}`. */
  path: string;
  summary: string;
  tag: string;
  body?: B;
  params?: P;
  query?: Q;
  /** Request headers, each named as the document shows it (read case-insensitively). */
  headers?: H;
  /**
   * Status → description, the schema of a JSON answer where there is one, and the other media types the answer can
   * come in (chosen by the request's Accept header).
   */
  responses: Record<number, { description: string; schema?: z.ZodType; otherContent?: Record<string, z.ZodType> }>;
  auth?: 'api-key' | 'partner';
  /** For `api-key` routes: the scopes that allow the call, any one of them (SPEC §3); checked before the input. */
  scopes?: readonly Scope[];
}

/**
 * Collects the routes of the app: each is registered with Express behind one validation step and described in
 * the OpenAPI document from the same zod schemas.
 */
export class RouteBook {
  readonly registry = new OpenAPIRegistry();

  constructor() {
    this.registry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer' });
    this.registry.register('Error', errorSchema);
  }

  add<
    B extends z.ZodType = z.ZodUndefined,
    P extends z.ZodType = z.ZodUndefined,
    Q extends z.ZodType = z.ZodUndefined,
    H extends z.ZodObject = z.ZodObject,
  >(
    router: Router,
    mountPath: string,
    definition: RouteDefinition<B, P, Q, H>,
    handler: (
      input: RouteInput<z.output<B>, z.output<P>, z.output<Q>, z.output<H>>,
      req: Request,
      res: Response,
    ) => Promise<unknown> | unknown,
  ): void {
    this.describe(definition as RouteDefinition<z.ZodType, z.ZodType, z.ZodType>);
    const expressPath = definition.path.slice(mountPath.length).replace(/\{(\w+)\}/g, ':$1') || '/';
    router[definition.method](expressPath, async (req, res) => {
      if (definition.auth === 'api-key') requireScope(callerOf(res), definition.scopes ?? []);
      const input = {
        params: definition.params ? parseInput(definition.params, req.params, 'path') : undefined,
        query: definition.query ? parseInput(definition.query, req.query, 'query string') : undefined,
        body: definition.body ? parseInput(definition.body, req.body ?? {}, 'request body') : undefined,
        headers: definition.headers
          ? parseInput(
              definition.headers,
              Object.fromEntries(Object.keys(definition.headers.shape).map((name) => [name, req.header(name)])),
              'header',
            )
          : undefined,
      } as RouteInput<z.output<B>, z.output<P>, z.output<Q>, z.output<H>>;
      await handler(input, req, res);
    });
  }

  describe(definition: RouteDefinition<z.ZodType, z.ZodType, z.ZodType>): void {
    const responses: RouteConfig['responses'] = {};
    for (const [status, { description, schema, otherContent = {} }] of Object.entries(definition.responses)) {
      const content = Object.fromEntries(
        Object.entries({ ...(schema ? { 'application/json': schema } : {}), ...otherContent }).map(
          ([mediaType, body]) => [mediaType, { schema: body }],
        ),
      );
      responses[status] = Object.keys(content).length > 0 ? { description, content } : { description };
    }
    const error = { 'application/json': { schema: errorSchema } };
    // Any POST can be sent a body, which is read before the route: it can be malformed, too large or not JSON.
    if (
      definition.body ||
      definition.params ||
      definition.query ||
      definition.headers ||
      definition.method === 'post'
    ) {
      responses['400'] ??= { description: 'Invalid input', content: error };
    }
    if (definition.method === 'post') {
      responses['413'] ??= { description: 'The body is larger than 64 kB (body_too_large)', content: error };
      responses['415'] ??= { description: 'The body is not JSON (unsupported_media_type)', content: error };
    }
    if (definition.auth) {
      responses['401'] ??= {
        description: 'Missing or wrong credential',
        content: { 'application/json': { schema: errorSchema } },
      };
    }
    if (definition.auth === 'api-key') {
      responses['403'] ??= {
        description: `The API key lacks the scope this call needs (insufficient_scope): ${(definition.scopes ?? []).join(' or ')}`,
        content: { 'application/json': { schema: errorSchema } },
      };
      responses['429'] ??= {
        description: 'The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After',
        headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
        content: { 'application/json': { schema: errorSchema } },
      };
    }
    this.registry.registerPath({
      method: definition.method,
      path: definition.path,
      summary: definition.summary,
      tags: [definition.tag],
      // Alternatives: a key with any one of the scopes may call it.
      security:
        definition.auth === 'api-key' ? (definition.scopes ?? []).map((scope) => ({ apiKey: [scope] })) : undefined,
      request: {
        params: definition.params as never,
        query: definition.query as never,
        headers: definition.headers as never,
        // A body is required unless the route reads a missing one as `{}` and accepts that.
        body: definition.body
          ? {
              required: !definition.body.safeParse({}).success,
              content: { 'application/json': { schema: definition.body } },
            }
          : undefined,
      },
      responses,
    });
  }

  document() {
    return new OpenApiGeneratorV31(this.registry.definitions).generateDocument({
      openapi: '3.1.0',
      info: {
        title: 'Loyalty redemption orchestrator',
        version: '1.0.0',
        description:
          'Redeem loyalty points: members, ledger, reward catalogue, redemptions, orders and partner webhooks.',
      },
    });
  }
}
