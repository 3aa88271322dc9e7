import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import type { Request, Response } from 'express';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { errorHandler } from '../../api/errors';

/** What the API answers for an error thrown in a handler: its status and code. */
function answerTo(error: unknown) {
  const answer: { status?: number; body?: any } = {};
  const res = {
    status(status: number) {
      answer.status = status;
      return res;
    },
    json(body: unknown) {
      answer.body = body;
      return res;
    },
  } as unknown as Response;
  errorHandler(pino({ level: 'silent' }))(error, { path: '/v1/anything' } as Request, res, () => undefined);
  return { status: answer.status, code: answer.body?.error?.code };
}

const socketError = (code: string, syscall: string) =>
  Object.assign(new Error(`${syscall} ${code}`), { code, errno: -104, syscall });

describe('the answer to a backing service that is down', () => {
  // Regression: a store connection reset while the driver wrote a command reached the handler as the socket's own
  // error, and was answered 500 as if it were a bug (seen in a chaos run whose network dropped store connections).
  it.each([
    ['a socket reset while writing', socketError('ECONNRESET', 'write')],
    ['a broken pipe', socketError('EPIPE', 'write')],
    ['a refused connection', socketError('ECONNREFUSED', 'connect')],
    ['a network error of the driver', new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed')],
    ['no server to select', new MongoServerSelectionError('Server selection timed out after 5000 ms', {} as never)],
    // Regression: FerretDB reports its PostgreSQL being down as an InternalError, which was answered 500 (63 to 99
    // times per chaos run, each inside a PostgreSQL fault window).
    [
      "FerretDB's PostgreSQL refusing connections",
      new MongoServerError({
        code: 1,
        codeName: 'InternalError',
        errmsg:
          '[msg_insert.go:168 handler.(*Handler).MsgInsert] failed to connect to `user=postgres database=postgres`:\n\t127.0.0.1:42959 (127.0.0.1): dial error: dial tcp 127.0.0.1:42959: connect: connection refused',
      }),
    ],
    // Regression (chaos): Temporal refuses an update while the workflow's task is being tried again after a worker
    // died holding it; that was answered 500.
    [
      'an update refused while the workflow recovers',
      Object.assign(new Error('Unable to perform workflow execution update due to Workflow Task in failed state.'), {
        code: 9,
      }),
    ],
    [
      "FerretDB's PostgreSQL shutting down",
      new MongoServerError({
        code: 1,
        codeName: 'InternalError',
        errmsg:
          '[msg_find.go:344 handler.handleMaxTimeMSError] [collection.go:109 postgresql.(*collection).Query] FATAL: terminating connection due to administrator command (SQLSTATE 57P01)',
      }),
    ],
  ])('is 503 service_unavailable for %s', (_what, error) => {
    expect(answerTo(error)).toEqual({ status: 503, code: 'service_unavailable' });
  });

  it('is 500 for an internal error of the store that is not an outage', () => {
    const error = new MongoServerError({ code: 1, codeName: 'InternalError', errmsg: 'unexpected type of _id' });
    expect(answerTo(error)).toEqual({ status: 500, code: 'internal_error' });
  });

  it('is 500 for a bug of ours', () => {
    expect(answerTo(new TypeError("Cannot read properties of undefined (reading 'id')"))).toEqual({
      status: 500,
      code: 'internal_error',
    });
  });
});
