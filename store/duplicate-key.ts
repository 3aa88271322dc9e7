import { MongoServerError } from 'mongodb';

/** The name of the unique index a duplicate-key error hit, if it was one. */
export function duplicateKeyIndex(error: unknown): string | undefined {
  if (!(error instanceof MongoServerError) || error.code !== 11000) return undefined;
  const fromMessage = /index: (\S+)/.exec(error.message)?.[1];
  const fromKeyPattern = error.keyPattern ? Object.keys(error.keyPattern)[0] : undefined;
  return fromMessage ?? fromKeyPattern ?? '';
}
