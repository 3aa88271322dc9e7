/**
 * Text that clients and partners send and that we store or look up by. The zod schemas check it and the OpenAPI
 * document carries the same rule as a `pattern`, so that a value the document allows is one the server accepts.
 *
 * No such text may hold U+0000: PostgreSQL, under FerretDB, cannot keep it in a JSON value, so it would fail in the
 * store instead of being refused at the door.
 */
import { z } from 'zod';

// eslint-disable-next-line no-control-regex -- NUL is the very character these patterns refuse
export const NUL_FREE = /^[^\u0000]*$/;
/** What `trim().min(1)` accepts, NUL-free: at least one character that is not white space. */
// eslint-disable-next-line no-control-regex -- as above
export const NOT_BLANK = /^[^\u0000]*[^\s\u0000][^\u0000]*$/;
export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)';

/** Free text, possibly empty, NUL-free, of at most `max` characters when given. */
export function plainText(max?: number) {
  const text = z.string().regex(NUL_FREE, NUL_MESSAGE);
  return max === undefined ? text : text.max(max);
}

/** Text that must say something: trimmed, not blank, NUL-free, of at most `max` characters when given. */
export function requiredText(max?: number) {
  const trimmed = z.string().trim().min(1);
  return (max === undefined ? trimmed : trimmed.max(max))
    .regex(NUL_FREE, NUL_MESSAGE)
    .meta({ pattern: NOT_BLANK.source });
}

/** Half of a UTF-16 surrogate pair without its other half: no Unicode character, and UTF-8 has no bytes for it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The text as UTF-8 carries it, which is how the store keeps it and what Temporal takes in an id: each lone surrogate
 * becomes U+FFFD. Text that names a workflow goes through this, so that the name made from a request and the one made
 * from its stored copy are the same.
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}
