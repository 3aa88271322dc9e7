/**
 * fast-check arbitraries for the JSON Schemas of the service's own OpenAPI 3.1 document.
 *
 * Why fast-check with a schema walker of our own, rather than an OpenAPI sampler or json-schema-faker: fast-check is
 * seeded end to end (one integer replays a whole run), it biases towards edge values (bounds, empty and maximal
 * strings, astral code points) that samplers never try, and it composes with the mutations that make bodies
 * invalid. The walker is small because it only needs the keywords the document uses; an unknown keyword fails
 * loudly instead of being ignored, so the fuzzer cannot silently drift from the document.
 */
import fc from 'fast-check';

export type JsonSchema = boolean | SchemaObject;
export interface SchemaObject {
  [keyword: string]: any;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, JsonSchema> };
}

/**
 * A value the fuzzer fills in when it sends the request, from what exists by then (a real member's email, a coupon
 * that was issued): the plan stays a pure function of the seed while still reaching past "not found".
 */
export class PoolRef {
  constructor(
    readonly pool: string,
    readonly index: number,
    readonly fallback: unknown,
  ) {}
}

export interface SchemaContext {
  document: OpenApiDocument;
  /** Property or parameter name → pool name: such a value comes from the pool most of the time. */
  pools: Record<string, string>;
  /** Property name → arbitrary that replaces the schema's own (domain knowledge the document cannot carry). */
  overrides?: Record<string, fc.Arbitrary<unknown>>;
}

const KNOWN_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'not',
  'default',
  'description',
  'example',
  'examples',
  'title',
  '$ref',
  'x-later-than',
  // A header's rule across parameters, which fuzz-requests.ts keeps when it draws the body.
  'x-required-if-body-has',
]);

const MAX_DEPTH = 4;
/** Long enough to reach every documented maximum length; longer strings are the mutations' job. */
const LONGEST_STRING = 2_000;

export function deref(schema: JsonSchema, document: OpenApiDocument): JsonSchema {
  let current = schema;
  while (typeof current === 'object' && typeof current.$ref === 'string') {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = document.components.schemas[name];
    if (target === undefined) throw new Error(`Unresolved $ref ${current.$ref}`);
    const rest: SchemaObject = { ...current };
    delete rest.$ref;
    current = typeof target === 'object' ? { ...target, ...rest } : target;
  }
  return current;
}

/** Intersects two schemas the way the document's variants are written: properties merged, required united. */
export function mergeSchemas(base: SchemaObject, extra: SchemaObject, document: OpenApiDocument): SchemaObject {
  const merged: SchemaObject = { ...base, ...extra };
  if (base.properties || extra.properties) {
    const properties: Record<string, JsonSchema> = { ...base.properties };
    for (const [name, schema] of Object.entries<JsonSchema>(extra.properties ?? {})) {
      const current = properties[name];
      properties[name] =
        schema === false || current === undefined || typeof schema !== 'object'
          ? schema
          : mergeSchemas(deref(current, document) as SchemaObject, schema, document);
    }
    merged.properties = properties;
  }
  if (base.required || extra.required)
    merged.required = [...new Set([...(base.required ?? []), ...(extra.required ?? [])])];
  return merged;
}

/** Any JSON value, nested at most `depth` levels. */
export function anyJson(depth = 2): fc.Arbitrary<unknown> {
  return fc.jsonValue({ maxDepth: depth });
}

export function schemaArbitrary(schema: JsonSchema, context: SchemaContext, depth = 0): fc.Arbitrary<unknown> {
  if (schema === true) return anyJson(Math.max(0, 2 - depth));
  if (schema === false) throw new Error('No value satisfies the schema false');
  const resolved = deref(schema, context.document);
  if (typeof resolved === 'boolean') return schemaArbitrary(resolved, context, depth);
  for (const keyword of Object.keys(resolved)) {
    if (!KNOWN_KEYWORDS.has(keyword)) throw new Error(`The fuzzer does not know the keyword ${keyword}`);
  }
  if (resolved.const !== undefined) return fc.constant(resolved.const);
  if (resolved.enum) return fc.constantFrom(...(resolved.enum as unknown[]));
  const types: string[] = Array.isArray(resolved.type) ? resolved.type : resolved.type ? [resolved.type] : [];
  const union: JsonSchema[] | undefined = resolved.anyOf ?? resolved.oneOf;
  if (union && !types.includes('object')) {
    return fc.oneof(...union.map((branch) => schemaArbitrary(mergeWithout(resolved, branch), context, depth)));
  }
  if (types.length > 1) {
    return fc.oneof(...types.map((type) => schemaArbitrary({ ...resolved, type }, context, depth)));
  }
  let arbitrary: fc.Arbitrary<unknown>;
  switch (types[0]) {
    case 'object':
      arbitrary = objectArbitrary(resolved, context, depth);
      break;
    case 'array':
      arbitrary = arrayArbitrary(resolved, context, depth);
      break;
    case 'string':
      arbitrary = stringArbitrary(resolved);
      break;
    case 'integer':
      arbitrary = integerArbitrary(resolved);
      break;
    case 'number':
      arbitrary = numberArbitrary(resolved);
      break;
    case 'boolean':
      arbitrary = fc.boolean();
      break;
    case 'null':
      arbitrary = fc.constant(null);
      break;
    case undefined:
      arbitrary = anyJson(Math.max(0, 2 - depth));
      break;
    default:
      throw new Error(`The fuzzer does not know the type ${types[0]}`);
  }
  if (resolved.not !== undefined) {
    const not = resolved.not as SchemaObject;
    if (Object.keys(not).length !== 1 || not.const === undefined) throw new Error('Only `not: {const}` is supported');
    arbitrary = arbitrary.filter((value) => JSON.stringify(value) !== JSON.stringify(not.const));
  }
  return arbitrary;
}

/** A union branch with the keywords of the schema around it (the union itself removed). */
function mergeWithout(outer: SchemaObject, branch: JsonSchema): JsonSchema {
  if (typeof branch !== 'object') return branch;
  const rest: SchemaObject = { ...outer };
  for (const keyword of ['anyOf', 'oneOf', 'description']) delete rest[keyword];
  return { ...rest, ...branch };
}

function objectArbitrary(schema: SchemaObject, context: SchemaContext, depth: number): fc.Arbitrary<unknown> {
  const variants: SchemaObject[] = schema.oneOf ?? schema.anyOf ?? [{}];
  return fc.oneof(
    ...variants.map((variant) => {
      const shape = mergeSchemas(schema, variant, context.document);
      return objectOfShape(shape, context, depth);
    }),
  );
}

function objectOfShape(shape: SchemaObject, context: SchemaContext, depth: number): fc.Arbitrary<unknown> {
  const required = new Set<string>(shape.required ?? []);
  const entries = Object.entries<JsonSchema>(shape.properties ?? {}).filter(([, schema]) => schema !== false);
  const record = fc.record(
    Object.fromEntries(entries.map(([name, schema]) => [name, propertyArbitrary(name, schema, context, depth + 1)])),
    { requiredKeys: entries.map(([name]) => name).filter((name) => required.has(name)) },
  );
  const laterThan = entries
    .filter(([, schema]) => typeof schema === 'object' && schema['x-later-than'])
    .map(([name, schema]) => [name, (schema as SchemaObject)['x-later-than'] as string] as const);
  const withOrder = record.map((value) => {
    const object = value as Record<string, unknown>;
    for (const [later, earlier] of laterThan) {
      const [a, b] = [object[earlier], object[later]];
      if (typeof a !== 'string' || typeof b !== 'string') continue;
      if (Date.parse(b) <= Date.parse(a)) {
        if (a === b) delete object[later];
        else [object[earlier], object[later]] = [b, a];
      }
    }
    return object;
  });
  if (shape.additionalProperties === false || depth >= MAX_DEPTH) return withOrder;
  const extras = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !(key in (shape.properties ?? {}))),
    anyJson(1),
    { maxKeys: 2 },
  );
  return fc.tuple(withOrder, fc.option(extras, { freq: 3 })).map(([object, extra]) => ({ ...extra, ...object }));
}

function propertyArbitrary(name: string, schema: JsonSchema, context: SchemaContext, depth: number) {
  const override = context.overrides?.[name];
  const own = override ?? schemaArbitrary(schema, context, depth);
  const pool = context.pools[name];
  if (!pool) return own;
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.nat(), own).map(([index, fallback]) => new PoolRef(pool, index, fallback)) },
    { weight: 1, arbitrary: own },
  );
}

function arrayArbitrary(schema: SchemaObject, context: SchemaContext, depth: number): fc.Arbitrary<unknown> {
  const minLength = schema.minItems ?? 0;
  if (depth >= MAX_DEPTH && minLength === 0) return fc.constant([]);
  const maxLength = Math.min(schema.maxItems ?? 4, Math.max(minLength, 4));
  return fc.array(schemaArbitrary(schema.items ?? true, context, depth + 1), { minLength, maxLength });
}

const codePoints = (text: string) => [...text].length;

function stringArbitrary(schema: SchemaObject): fc.Arbitrary<string> {
  const minLength: number = schema.minLength ?? 0;
  const maxLength: number = Math.min(schema.maxLength ?? 60, LONGEST_STRING);
  const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
  const fits = (text: string) => {
    const length = codePoints(text);
    return length >= minLength && length <= maxLength && (!pattern || pattern.test(text));
  };
  let base: fc.Arbitrary<string>;
  if (schema.format === 'date-time') {
    base = fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
      .chain((date) =>
        fc.constantFrom(
          date.toISOString(),
          date.toISOString().replace('.000Z', 'Z'),
          date.toISOString().replace(/\.\d+Z$/, '+03:00'),
        ),
      );
  } else if (schema.format === 'uri') {
    base = fc.webUrl({ withQueryParameters: true, withFragments: true });
  } else if (schema.format === 'email') {
    // The format's domain labels neither start nor end with a hyphen and hold at most 63 characters.
    const labelsFit = (text: string) =>
      text
        .slice(text.lastIndexOf('@') + 1)
        .split('.')
        .every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
    base = (pattern ? fc.stringMatching(pattern) : fc.emailAddress()).filter(labelsFit);
  } else if (pattern) {
    base = fc.stringMatching(pattern);
  } else {
    // Code points of every plane (astral ones count once in JSON Schema, twice in a UTF-16 length), printable ASCII,
    // and strings at the maximum length.
    const near = Math.max(minLength, maxLength - 3);
    base = fc.oneof(
      fc.string({ minLength, maxLength: Math.min(maxLength, 24) }),
      fc.string({ unit: 'binary', minLength, maxLength: Math.min(maxLength, 24) }),
      fc.string({ unit: 'binary', minLength: near, maxLength }),
      fc.string({ minLength: near, maxLength }),
    );
  }
  return base.filter(fits);
}

function integerArbitrary(schema: SchemaObject): fc.Arbitrary<number> {
  const min = Math.max(
    schema.minimum ?? Number.MIN_SAFE_INTEGER,
    schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : Number.MIN_SAFE_INTEGER,
  );
  const max = Math.min(
    schema.maximum ?? Number.MAX_SAFE_INTEGER,
    schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : Number.MAX_SAFE_INTEGER,
  );
  const small = fc.integer({ min: Math.max(min, -1_000), max: Math.min(max, 1_000) });
  const wide = fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);
  return min <= 1_000 && max >= -1_000
    ? fc.oneof({ weight: 3, arbitrary: small }, { weight: 1, arbitrary: wide })
    : wide;
}

function numberArbitrary(schema: SchemaObject): fc.Arbitrary<number> {
  return fc.double({
    min: schema.minimum ?? -1e12,
    max: schema.maximum ?? 1e12,
    noNaN: true,
    noDefaultInfinity: true,
  });
}
