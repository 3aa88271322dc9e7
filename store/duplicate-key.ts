import { MongoServerError } from 'mongodb';

const INTERNAL_ERROR = 1;

/** PostgreSQL's unique_violation, which FerretDB v1 passes on as an InternalError when an update causes it. */
const POSTGRES_UNIQUE_VIOLATION = /SQLSTATE 23505/;

/** The name of the unique index a duplicate-key error hit, if it was one. */
export function duplicateKeyIndex(error: unknown): string | undefined {
  if (!(error instanceof MongoServerError)) return undefined;
  if (error.code === INTERNAL_ERROR && POSTGRES_UNIQUE_VIOLATION.test(error.message)) {
    return /unique constraint "([^"]+)"/.exec(error.message)?.[1] ?? '';
  }
  if (error.code !== 11000) return undefined;
  const fromMessage = /index: (\S+)/.exec(error.message)?.[1];
  const fromKeyPattern = error.keyPattern ? Object.keys(error.keyPattern)[0] : undefined;
  return fromMessage ?? fromKeyPattern ?? '';
}

/**
 * Whether a write (one document, or a bulk insert) failed only because keys were already taken. A bulk insert that
 * failed for any other reason (the connection dropped, say) fails with no write errors at all: that is not it.
 */
export function isOnlyDuplicateKeys(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: unknown[] | unknown }).writeErrors;
  if (writeErrors === undefined) return duplicateKeyIndex(error) !== undefined;
  const list = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return list.length > 0 && list.every((writeError) => (writeError as { code?: number }).code === 11000);
}
