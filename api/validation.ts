import type { z } from 'zod';
import { ApiError, type ErrorDetail } from './errors';

function detailsOf(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
}

/** Parses input with a zod schema; a failure is a 400 naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const details = detailsOf(result.error);
    const paths = [...new Set(details.map((detail) => detail.path))];
    throw ApiError.badRequest(`The ${what} is invalid: ${paths.join(', ')}.`, details);
  }
  return result.data;
}
