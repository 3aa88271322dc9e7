import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isDependencyOutage } from '../application/outages';
import { Refusal } from '../domain/failures';

export interface ErrorDetail {
  path: string;
  message: string;
}

/** An error whose status, code and message are meant for the client, in the body of SPEC §3. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }

  static badRequest(message: string, details: ErrorDetail[] = []) {
    return new ApiError(400, 'invalid_request', message, details);
  }
  static notFound(what: string) {
    return new ApiError(404, 'not_found', `${what} was not found.`);
  }
  static conflict(code: string, message: string) {
    return new ApiError(409, code, message);
  }
  static unprocessable(code: string, message: string) {
    return new ApiError(422, code, message);
  }
  static unavailable(message: string) {
    return new ApiError(503, 'service_unavailable', message);
  }
}

export function errorBody(error: ApiError) {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'route_not_found', `No route for ${req.method} ${req.path}; see /docs for the API.`));
};

/** Errors raised by Express and body-parser themselves carry the HTTP status they stand for. */
interface FrameworkError {
  type?: string;
  status?: number;
}

/** Maps anything thrown in a handler to the spec's error body; only a bug in our code is a 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) logger.error({ err: error, path: req.path }, 'request failed');
    res.status(apiError.status).json(errorBody(apiError));
  };
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Refusal) return new ApiError(error.status, error.code, error.message);
  const frameworkError = error as FrameworkError;
  switch (frameworkError?.type) {
    case 'entity.too.large':
      return new ApiError(413, 'body_too_large', 'The request body is larger than this endpoint accepts.');
    case 'entity.parse.failed':
      return ApiError.badRequest('The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'unsupported_media_type', 'Send the body as UTF-8 JSON.');
  }
  const status = frameworkError?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // A malformed URL (bad percent-encoding), an undecodable body, and the like: the client's to fix.
    return new ApiError(
      status,
      'invalid_request',
      'The request could not be read: check its URL, headers and body encoding.',
    );
  }
  if (isDependencyOutage(error)) {
    return ApiError.unavailable('A backing service (Temporal or MongoDB) is unreachable; try again shortly.');
  }
  return new ApiError(500, 'internal_error', 'Something went wrong on our side; it has been logged.');
}
