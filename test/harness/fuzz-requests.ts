/**
 * Requests generated from the OpenAPI document: the operations it lists, a request each one's schemas allow, the same
 * request spoilt in one way (a field dropped or of the wrong type, a huge number, odd unicode, JSON that is not an
 * object, a bad credential or content type, a mangled path or query), and how to send it signed as its caller would.
 */
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import {
  PoolRef,
  anyJson,
  schemaArbitrary,
  type JsonSchema,
  type OpenApiDocument,
  type SchemaContext,
  type SchemaObject,
} from './openapi-arbitrary';

export type Caller = 'api-key' | 'pos' | 'deliverect' | 'none';

export interface Operation {
  method: 'get' | 'post';
  path: string;
  caller: Caller;
  pathParams: SchemaObject;
  query: SchemaObject;
  headers: SchemaObject;
  body?: JsonSchema;
}

/** A path segment sent exactly as written (so it can be badly percent-encoded). */
export class RawSegment {
  constructor(readonly text: string) {}
}

export interface PlannedRequest {
  operation: Operation;
  pathParams: Record<string, unknown>;
  query: [string, unknown][];
  headers: Record<string, unknown>;
  /** A JSON value to serialise, raw text sent as it is, or nothing. */
  body: { json: unknown } | { raw: string } | undefined;
  credential: 'valid' | 'missing' | 'wrong';
  contentType: string | undefined;
  /** What was spoilt; `none` for a request that the document allows. */
  mutation: string;
}

function parameterObject(parameters: any[], where: string): SchemaObject {
  const chosen = parameters.filter((parameter) => parameter.in === where);
  return {
    type: 'object',
    properties: Object.fromEntries(chosen.map((parameter) => [parameter.name, parameter.schema])),
    required: chosen.filter((parameter) => parameter.required).map((parameter) => parameter.name),
    additionalProperties: false,
  };
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries<any>(methods)) {
      const parameters: any[] = operation.parameters ?? [];
      const caller: Caller = operation.security
        ? 'api-key'
        : path.startsWith('/webhooks/deliverect/')
          ? 'deliverect'
          : path.startsWith('/webhooks/')
            ? 'pos'
            : 'none';
      operations.push({
        method: method as 'get' | 'post',
        path,
        caller,
        pathParams: parameterObject(parameters, 'path'),
        query: parameterObject(parameters, 'query'),
        headers: parameterObject(parameters, 'header'),
        body: operation.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}

/**
 * The headers that the document requires only with some bodies: a header's `x-required-if-body-has` names the body
 * fields (any one of them) that make it required, a rule across parameters that JSON Schema cannot say.
 */
function headersRequiredBy(operation: Operation, body: unknown): string[] {
  const fields = (name: string) =>
    ((operation.headers.properties?.[name] as SchemaObject | undefined)?.['x-required-if-body-has'] ?? []) as string[];
  const present = typeof body === 'object' && body !== null ? Object.keys(body) : [];
  return Object.keys(operation.headers.properties ?? {}).filter((name) =>
    fields(name).some((field) => present.includes(field)),
  );
}

/**
 * A path parameter of `.` or `..` never reaches the server as such: the client's URL parser resolves it (written
 * `%2E` too), so `GET /v1/redemptions/.` is sent as the list of redemptions, another operation.
 */
function noDotSegment(pathParams: unknown): boolean {
  return Object.values(pathParams as Record<string, unknown>).every((value) => !/^\.{1,2}$/.test(String(value)));
}

/** A request the document allows, with its fields drawn from the pools where the context says so. */
export function validRequest(operation: Operation, context: SchemaContext): fc.Arbitrary<PlannedRequest> {
  const allHeaders = { ...operation.headers, required: Object.keys(operation.headers.properties ?? {}) };
  return fc
    .record({
      pathParams: schemaArbitrary(operation.pathParams, context).filter(noDotSegment),
      query: schemaArbitrary(operation.query, context),
      headers: schemaArbitrary(operation.headers, context),
      everyHeader: schemaArbitrary(allHeaders, context),
      body: operation.body
        ? schemaArbitrary(operation.body, context).map((json) => ({ json }))
        : fc.constant(undefined),
    })
    .map(({ pathParams, query, headers, everyHeader, body }) => ({
      operation,
      pathParams: pathParams as Record<string, unknown>,
      query: Object.entries(query as Record<string, unknown>),
      headers: {
        ...(headers as Record<string, unknown>),
        ...Object.fromEntries(
          headersRequiredBy(operation, body?.json).map((name) => [
            name,
            (everyHeader as Record<string, unknown>)[name],
          ]),
        ),
      },
      body,
      credential: 'valid' as const,
      contentType: body ? 'application/json' : undefined,
      mutation: 'none',
    }));
}

/** Values that have broken JSON APIs before: wrong types, numbers past every bound, strings no one expects. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    0.5,
    -0.000001,
    1e308,
    -1e308,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 63),
    1e-300,
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\u202eevil',
    '\u200b',
    'e\u0301',
    '١٢٣',
    '🎉'.repeat(200),
    '𝒜'.repeat(201),
    'NaN',
    'Infinity',
    '1e999',
    '0x10',
    '12',
    'true',
    'null',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '../../etc/passwd',
    'a'.repeat(5_000),
    [],
    {},
    [[[[]]]],
    { $gt: '' },
    { $where: 'sleep(1000)' },
    { 'a.b': 1, $set: { x: 1 } },
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer(),
  fc.double(),
  anyJson(3),
);

/** Keys that object handling gets wrong: prototype pollution, Mongo operators, dots, NUL. */
const oddKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  '$where',
  '$set',
  'a.b',
  '\u0000',
  '',
  ' ',
  '🎉',
);

/** Raw bodies that are odd JSON or no JSON at all. */
const oddRawBody = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '{"a":1,,}',
    "{'a':1}",
    '{"a":NaN}',
    '{"a":1e999}',
    '{"a":-1e999}',
    'null',
    '[]',
    '"text"',
    '12',
    'true',
    '\ufeff{}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    '[' + '['.repeat(5_000) + ']'.repeat(5_001),
    '{"a":'.repeat(300) + '1' + '}'.repeat(300),
    JSON.stringify({ big: 'x'.repeat(70_000) }),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

type Path = (string | number)[];

/** Every place in a JSON value where something can be dropped or replaced; the pools' references are leaves. */
function pathsOf(value: unknown, path: Path = []): Path[] {
  const paths: Path[] = [path];
  if (value instanceof PoolRef || value === null || typeof value !== 'object') return paths;
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  for (const [key, item] of entries) paths.push(...pathsOf(item, [...path, key]));
  return paths;
}

function clone(value: unknown): unknown {
  if (value instanceof PoolRef || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(clone);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clone(item)]));
}

function parentOf(root: unknown, path: Path): any {
  let current: any = root;
  for (const key of path.slice(0, -1)) current = current[key];
  return current;
}

const spoilKinds = ['drop', 'replace', 'replace', 'extra', 'whole'] as const;

/** The JSON body with one thing spoilt, and a description of what. */
function spoilJson(json: unknown, kind: (typeof spoilKinds)[number], pick: number, odd: unknown, key: string) {
  const root = clone(json);
  const paths = pathsOf(root);
  const label = (path: Path) => (path.length === 0 ? '(body)' : path.join('.'));
  if (kind === 'whole') return { json: odd, mutation: 'whole body replaced' };
  if (kind === 'drop') {
    const droppable = paths.filter((path) => path.length > 0 && !Array.isArray(parentOf(root, path)));
    if (droppable.length === 0) return { json: odd, mutation: 'whole body replaced' };
    const path = droppable[pick % droppable.length]!;
    delete parentOf(root, path)[path.at(-1)!];
    return { json: root, mutation: `dropped ${label(path)}` };
  }
  if (kind === 'extra') {
    const objects = paths.filter((path) => {
      const target = path.length === 0 ? root : parentOf(root, path)[path.at(-1)!];
      return target !== null && typeof target === 'object' && !Array.isArray(target) && !(target instanceof PoolRef);
    });
    if (objects.length === 0) return { json: odd, mutation: 'whole body replaced' };
    const path = objects[pick % objects.length]!;
    const target = path.length === 0 ? root : parentOf(root, path)[path.at(-1)!];
    Object.defineProperty(target, key, { value: odd, enumerable: true, configurable: true, writable: true });
    return { json: root, mutation: `added key ${JSON.stringify(key)} at ${label(path)}` };
  }
  const replaceable = paths.filter((path) => path.length > 0);
  if (replaceable.length === 0) return { json: odd, mutation: 'whole body replaced' };
  const path = replaceable[pick % replaceable.length]!;
  parentOf(root, path)[path.at(-1)!] = odd;
  return { json: root, mutation: `replaced ${label(path)}` };
}

const oddSegment = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map((text) => new RawSegment(encodeURIComponent(text))),
  fc
    .constantFrom(
      '%',
      '%zz',
      '%E0%A4%A',
      '%00',
      '..',
      '%2e%2e',
      '%2F',
      'a'.repeat(5_000),
      '-1',
      '0',
      '1e3',
      '9'.repeat(30),
    )
    .map((text) => new RawSegment(text)),
);

const oddQueryValue = fc.oneof(
  fc.constantFrom('', '-1', '0', '1.5', '1e400', 'abc', '101', '9'.repeat(30), '-created_at,', ',', '$gt'),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** The request spoilt in one way, so that the service must refuse it (or shrug it off) without a 5xx. */
export function spoiltRequest(operation: Operation, context: SchemaContext): fc.Arbitrary<PlannedRequest> {
  const valid = validRequest(operation, context);
  const ways: fc.Arbitrary<PlannedRequest>[] = [
    fc
      .tuple(valid, fc.constantFrom<PlannedRequest['credential']>('missing', 'wrong'))
      .map(([request, credential]) => ({ ...request, credential, mutation: `${credential} credential` })),
    fc
      .tuple(
        valid,
        fc.constantFrom('page', 'per_page', 'sort', 'status', 'member_id', 'coupon_code', 'x'),
        oddQueryValue,
      )
      .map(([request, name, value]) => ({
        ...request,
        query: [...request.query, [name, value] as [string, unknown]],
        mutation: `query ${name}`,
      })),
  ];
  if (operation.method === 'post') {
    ways.push(
      fc
        .tuple(
          valid,
          fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'),
        )
        .map(([request, contentType]) => ({
          ...request,
          body: request.body ?? { raw: '{}' },
          contentType,
          mutation: `content type ${contentType}`,
        })),
      fc.tuple(valid, oddRawBody).map(([request, raw]) => ({
        ...request,
        body: { raw },
        contentType: 'application/json',
        mutation: 'raw body',
      })),
    );
  }
  const segments = Object.keys(operation.pathParams.properties ?? {});
  if (segments.length > 0) {
    ways.push(
      fc.tuple(valid, fc.constantFrom(...segments), oddSegment).map(([request, name, segment]) => ({
        ...request,
        pathParams: { ...request.pathParams, [name]: segment },
        mutation: `path ${name}`,
      })),
    );
  }
  if (operation.body) {
    const spoilt = fc
      .tuple(valid, fc.constantFrom(...spoilKinds), fc.nat(), oddValue, oddKey)
      .map(([request, kind, pick, odd, key]) => {
        const { json, mutation } = spoilJson((request.body as { json: unknown }).json, kind, pick, odd, key);
        return { ...request, body: { json }, mutation };
      });
    ways.push(spoilt, spoilt, spoilt);
  }
  if (Object.keys(operation.headers.properties ?? {}).length > 0) {
    ways.push(
      fc.tuple(valid, fc.constantFrom('', ' ', 'k'.repeat(300), '\u00e9t\u00e9')).map(([request, value]) => ({
        ...request,
        headers: Object.fromEntries(Object.keys(request.operation.headers.properties).map((name) => [name, value])),
        mutation: 'header value',
      })),
    );
  }
  return fc.oneof(...ways);
}

/** Pools of values the service has handed out, filled as the run goes. */
export type Pools = Record<string, unknown[]>;

export function resolvePools(value: unknown, pools: Pools): unknown {
  if (value instanceof PoolRef) {
    const pool = pools[value.pool] ?? [];
    return pool.length > 0 ? pool[value.index % pool.length] : resolvePools(value.fallback, pools);
  }
  if (value === null || typeof value !== 'object' || value instanceof RawSegment) return value;
  if (Array.isArray(value)) return value.map((item) => resolvePools(item, pools));
  const resolved: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(resolved, key, {
      value: resolvePools(item, pools),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return resolved;
}

export interface Credentials {
  apiKey: string;
  /** POS partner name → its inbound secret. */
  pos: Record<string, { scheme: 'api-token' | 'bearer'; secret: string }>;
  deliverectSecret: string;
}

export interface ConcreteRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  mutation: string;
  /** The path parameters and body as sent, for the harness to learn from. */
  pathParams: Record<string, unknown>;
  json: unknown;
}

/** The request as it goes on the wire: pools filled in, URL encoded, body serialised and signed by its caller. */
export function concreteRequest(
  baseUrl: string,
  planned: PlannedRequest,
  pools: Pools,
  credentials: Credentials,
): ConcreteRequest {
  const pathParams = resolvePools(planned.pathParams, pools) as Record<string, unknown>;
  const path = planned.operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = pathParams[name];
    return value instanceof RawSegment ? value.text : encodeURIComponent(String(value));
  });
  const query = new URLSearchParams();
  for (const [name, value] of resolvePools(planned.query, pools) as [string, unknown][]) {
    if (value !== undefined) query.append(name, String(value));
  }
  const json = planned.body && 'json' in planned.body ? resolvePools(planned.body.json, pools) : undefined;
  const body = planned.body ? ('raw' in planned.body ? planned.body.raw : JSON.stringify(json)) : undefined;
  const headers: Record<string, string> = {};
  if (planned.contentType) headers['content-type'] = planned.contentType;
  for (const [name, value] of Object.entries(resolvePools(planned.headers, pools) as Record<string, unknown>)) {
    if (value !== undefined) headers[name.toLowerCase()] = String(value);
  }
  Object.assign(headers, credentialHeaders(planned, String(pathParams.partner ?? ''), body ?? '', credentials));
  const search = query.toString();
  return {
    method: planned.operation.method.toUpperCase(),
    url: `${baseUrl}${path}${search ? `?${search}` : ''}`,
    headers,
    body,
    mutation: planned.mutation,
    pathParams,
    json,
  };
}

function credentialHeaders(
  planned: PlannedRequest,
  partner: string,
  body: string,
  credentials: Credentials,
): Record<string, string> {
  if (planned.credential === 'missing') return {};
  const wrong = planned.credential === 'wrong';
  switch (planned.operation.caller) {
    case 'api-key':
      return { authorization: `Bearer ${wrong ? `${credentials.apiKey}x` : credentials.apiKey}` };
    case 'pos': {
      const pos = credentials.pos[partner] ?? { scheme: 'api-token', secret: 'no-such-partner' };
      const secret = wrong ? `${pos.secret}x` : pos.secret;
      return pos.scheme === 'bearer' ? { authorization: `Bearer ${secret}` } : { 'api-token': secret };
    }
    case 'deliverect': {
      const signed = wrong ? `${body} ` : body;
      const signature = createHmac('sha256', credentials.deliverectSecret).update(signed, 'utf8').digest('hex');
      return { 'x-server-authorization-hmac-sha256': signature };
    }
    case 'none':
      return {};
  }
}

/** The request and the answer, as a failure message shows them. */
export function describeExchange(request: ConcreteRequest, status: number, answer: string): string {
  const cut = (text: string, length: number) =>
    text.length > length ? `${text.slice(0, length)}… (${text.length} chars)` : text;
  return [
    `${request.method} ${cut(request.url, 500)}   [${request.mutation}]`,
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${cut(value, 200)}`),
    request.body === undefined ? '(no body)' : cut(request.body, 2_000),
    `→ ${status} ${cut(answer, 1_000)}`,
  ].join('\n');
}
