/**
 * List endpoints: `page`, `per_page` and `sort` in, the Flavours (Laravel) length-aware pagination envelope out.
 */
import { z } from 'zod';

export const DEFAULT_PER_PAGE = 20;
export const MAX_PER_PAGE = 100;

/** The sort keys of a `sort` value, e.g. `-created_at,name` → [{ field: 'created_at', direction: -1 }, …]. */
function sortKeys(sort: string): { field: string; direction: 1 | -1 }[] {
  return sort
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => (part.startsWith('-') ? { field: part.slice(1), direction: -1 } : { field: part, direction: 1 }));
}

/**
 * The query-string piece every list endpoint accepts, coerced from strings. `sortFields` are the fields this
 * resource can be sorted by; an unknown one is a 400 naming `sort`. Extend it with the resource's filters.
 */
export function paginationQuery(sortFields: readonly string[]) {
  const allowed = sortFields.join(', ');
  // What sortKeys reads: comma-separated parts, blank ones ignored, each a field optionally prefixed with -.
  const field = `-?(?:${sortFields.map((name) => name.replace(/[^\w]/g, '\\$&')).join('|')})`;
  const sortPattern = sortFields.length > 0 ? `^\\s*(?:${field}\\s*)?(?:,\\s*(?:${field}\\s*)?)*$` : '^[\\s,]*$';
  return z.object({
    page: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(1).meta({ description: 'From 1' }),
    per_page: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_PER_PAGE)
      .default(DEFAULT_PER_PAGE)
      .meta({ description: `Items per page, 1 to ${MAX_PER_PAGE}` }),
    sort: z
      .string()
      .max(200)
      .optional()
      .refine(
        (sort) => sort === undefined || sortKeys(sort).every(({ field }) => sortFields.includes(field)),
        sortFields.length > 0
          ? `must be one of ${allowed}, each optionally prefixed with - for descending order`
          : 'is not supported on this list',
      )
      .meta({
        pattern: sortPattern,
        description:
          sortFields.length > 0
            ? `Comma-separated fields among ${allowed}; prefix one with - for descending order`
            : 'Not supported on this list',
        example: sortFields.length > 0 ? `-${sortFields[0]}` : undefined,
      }),
  });
}

export type PaginationQuery = z.output<ReturnType<typeof paginationQuery>>;

/**
 * A validated `sort` as a Mongo sort object. `allowed` maps API field names to document fields (a list when they
 * are the same). `_id` is appended as a tie-breaker so that pages never overlap or skip a document.
 */
export function parseSort(
  sort: string | undefined,
  allowed: readonly string[] | Readonly<Record<string, string>>,
  fallback: Record<string, 1 | -1>,
): Record<string, 1 | -1> {
  const fields: Readonly<Record<string, string>> = Array.isArray(allowed)
    ? Object.fromEntries((allowed as readonly string[]).map((field) => [field, field]))
    : (allowed as Readonly<Record<string, string>>);
  const result: Record<string, 1 | -1> = {};
  for (const { field, direction } of sort ? sortKeys(sort) : []) {
    const column = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (column !== undefined && !(column in result)) result[column] = direction;
  }
  const chosen = Object.keys(result).length > 0 ? result : { ...fallback };
  if (!('_id' in chosen)) chosen._id = 1;
  return chosen;
}

/** Mongo's skip/limit of a page. */
export function pageWindow(query: { page: number; per_page: number }): { skip: number; limit: number } {
  return { skip: (query.page - 1) * query.per_page, limit: query.per_page };
}

export interface PageLink {
  url: string | null;
  label: string;
  active: boolean;
}

export interface Paginated<T> {
  current_page: number;
  data: T[];
  first_page_url: string;
  from: number | null;
  last_page: number;
  last_page_url: string;
  links: PageLink[];
  next_page_url: string | null;
  path: string;
  per_page: number;
  prev_page_url: string | null;
  to: number | null;
  total: number;
}

const ON_EACH_SIDE = 3;

/** Laravel's UrlWindow: every page when there are few, else the ends and a slider around the current one. */
function pageNumbers(current: number, last: number): (number | '...')[] {
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);
  const window = ON_EACH_SIDE + 4;
  if (last < ON_EACH_SIDE * 2 + 8) return range(1, last);
  if (current <= window) return [...range(1, window + ON_EACH_SIDE), '...', ...range(last - 1, last)];
  if (current > last - window) return [...range(1, 2), '...', ...range(last - (window + ON_EACH_SIDE - 1), last)];
  return [
    ...range(1, 2),
    '...',
    ...range(current - ON_EACH_SIDE, current + ON_EACH_SIDE),
    '...',
    ...range(last - 1, last),
  ];
}

/**
 * The list a page belongs to: its path, each segment from a parsed parameter encoded, and its query as parsed (the
 * list's own parameters, with their defaults).
 */
export interface ListRequest {
  path: string;
  query: Record<string, string | number | boolean | undefined>;
}

/**
 * The Flavours discounts-list envelope. URLs are absolute, built from PUBLIC_BASE_URL and the list's parsed path and
 * query only (never from the Host header or the request line, which may be in absolute form or hold anything the
 * router ignored), keeping every query parameter (per_page, sort, filters) with only `page` changed.
 */
export function paginate<T>(
  publicBaseUrl: string,
  list: ListRequest,
  page: { items: T[]; total: number; page: number; perPage: number },
): Paginated<T> {
  const path = `${publicBaseUrl}${list.path}`;
  const urlOf = (number: number) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(list.query)) {
      if (value !== undefined && name !== 'page') params.set(name, String(value));
    }
    params.set('page', String(number));
    return `${path}?${params.toString()}`;
  };
  const lastPage = Math.max(1, Math.ceil(page.total / page.perPage));
  const from = page.items.length > 0 ? (page.page - 1) * page.perPage + 1 : null;
  // Past the end, "previous" leads back to the last page that has items.
  const prev = page.page > 1 ? urlOf(Math.min(page.page - 1, lastPage)) : null;
  const next = page.page < lastPage ? urlOf(page.page + 1) : null;
  const links: PageLink[] = [
    { url: prev, label: '« Previous', active: false },
    ...pageNumbers(page.page, lastPage).map((number) =>
      number === '...'
        ? { url: null, label: '...', active: false }
        : { url: urlOf(number), label: String(number), active: number === page.page },
    ),
    { url: next, label: 'Next »', active: false },
  ];
  return {
    current_page: page.page,
    data: page.items,
    first_page_url: urlOf(1),
    from,
    last_page: lastPage,
    last_page_url: urlOf(lastPage),
    links,
    next_page_url: next,
    path,
    per_page: page.perPage,
    prev_page_url: prev,
    to: from === null ? null : from + page.items.length - 1,
    total: page.total,
  };
}

/** The envelope's schema for the OpenAPI document, with `id` naming the component (e.g. `MemberLedgerPage`). */
export function paginatedSchema<S extends z.ZodType>(itemSchema: S, id: string) {
  const url = z.url();
  return z
    .object({
      current_page: z.number().int(),
      data: z.array(itemSchema),
      first_page_url: url,
      from: z.number().int().nullable().meta({ description: 'Position of the first item; null on an empty page' }),
      last_page: z.number().int().min(1),
      last_page_url: url,
      links: z.array(z.object({ url: url.nullable(), label: z.string(), active: z.boolean() })),
      next_page_url: url.nullable(),
      path: url,
      per_page: z.number().int(),
      prev_page_url: url.nullable(),
      to: z.number().int().nullable().meta({ description: 'Position of the last item; null on an empty page' }),
      total: z.number().int(),
    })
    .meta({ id });
}
