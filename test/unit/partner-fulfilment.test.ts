import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPartnerFulfilment,
  isRetryableStatus,
  partnerDate,
  type PartnerRedeemInput,
} from '../../activities/partner-fulfilment';
import { loadConfig } from '../../config/env';
import type { PartnerName } from '../../domain/partners';
import { startStubPartner, type PartnerBehaviour, type StubPartner } from '../harness/stub-partner';

interface RecordedWrite {
  collection: string;
  document: any;
}

/**
 * A stand-in for the MongoDB Db: every insertOne is recorded (or fails), and findOne finds a recorded document by its
 * `_id`; nothing else is needed by this activity.
 */
function fakeDb(options: { failWrites?: boolean; hangReads?: boolean } = {}) {
  const writes: RecordedWrite[] = [];
  const db = {
    collection: (name: string) => ({
      insertOne: async (document: unknown) => {
        if (options.failWrites) throw new Error('the store is unreachable');
        writes.push({ collection: name, document });
        return { acknowledged: true };
      },
      findOne: async (filter: { _id: string }) => {
        if (options.failWrites) throw new Error('the store is unreachable');
        if (options.hangReads) return new Promise(() => undefined);
        const found = writes.some((recorded) => recorded.collection === name && recorded.document._id === filter._id);
        return found ? { _id: filter._id } : null;
      },
    }),
  };
  return { db: db as any, updates: writes };
}

const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const SECRETS = ['s3cret', 'tok', 'hmac-secret'];
const REQUESTED_AT = '2025-03-04T05:06:07.890Z';

let flavours: StubPartner;
let retm: StubPartner;
let deliverect: StubPartner;

beforeAll(async () => {
  [flavours, retm, deliverect] = await Promise.all([startStubPartner(), startStubPartner(), startStubPartner()]);
});

afterAll(async () => {
  await Promise.all([flavours?.close(), retm?.close(), deliverect?.close()]);
});

beforeEach(() => {
  for (const stub of [flavours, retm, deliverect]) {
    stub.calls.length = 0;
    stub.setDefault({ status: 200, body: {} });
  }
});

function setup(options: { failWrites?: boolean; hangReads?: boolean; attempt?: number } = {}) {
  const { db, updates } = fakeDb(options);
  const config = loadConfig({
    API_KEYS: 'k',
    FLAVOURS_REDEEM_URL: flavours.redeemUrl,
    FLAVOURS_OUTBOUND_SECRET: 's3cret',
    RETM_REDEEM_URL: retm.redeemUrl,
    RETM_OUTBOUND_SECRET: 'tok',
    DELIVERECT_REDEEM_URL: deliverect.redeemUrl,
    DELIVERECT_OUTBOUND_SECRET: 'hmac-secret',
  });
  const activity = createPartnerFulfilment(db, config).redeemWithPartner;
  const env = new MockActivityEnvironment(options.attempt ? { attempt: options.attempt } : undefined, {
    logger: silentLogger,
  });
  const run = (input: Partial<PartnerRedeemInput> = {}) => env.run(activity, inputFor(input));
  /** The attempts' audit documents, with the key (after the redemption in their id) that makes a retry a no-op. */
  const events = () =>
    updates.map(({ document }) => ({ ...document, key: document._id.slice(`${document.redemption_id}/`.length) }));
  return { run, events, updates };
}

function inputFor(overrides: Partial<PartnerRedeemInput> = {}): PartnerRedeemInput {
  return {
    redemptionId: 'red-123',
    partner: 'flavours',
    couponCode: 'ABCD-EFGH-JKMN-PQRS',
    businessRef: 'biz-9',
    branchId: 'branch-7',
    requestedAt: REQUESTED_AT,
    attemptTimeoutMs: 5_000,
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => {
      throw new Error('expected the activity to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('partnerDate', () => {
  it('spells an ISO instant as yyyy-MM-dd HH:mm:ss in UTC', () => {
    expect(partnerDate('2025-03-04T05:06:07.890Z')).toBe('2025-03-04 05:06:07');
    expect(partnerDate(new Date(Date.UTC(2024, 11, 31, 23, 59, 59, 999)).toISOString())).toBe('2024-12-31 23:59:59');
    expect(partnerDate('2025-01-01T00:00:00Z')).toBe('2025-01-01 00:00:00');
  });
});

describe('isRetryableStatus', () => {
  it('retries 408, 429 and every 5xx', () => {
    for (const status of [408, 429, 500, 502, 503, 504, 599]) expect(isRetryableStatus(status)).toBe(true);
  });

  it('does not retry other 4xx or success', () => {
    for (const status of [200, 204, 400, 401, 403, 404, 409, 410, 422, 499]) {
      expect(isRetryableStatus(status)).toBe(false);
    }
  });
});

describe('redeemWithPartner', () => {
  it('posts the seed body with the redemption id as idempotency key and answers {called: true, status} on 2xx', async () => {
    const { run } = setup();
    flavours.queue({ status: 201, body: { ok: true } });
    const result = await run();
    expect(result).toEqual({ called: true, status: 201 });
    expect(flavours.calls).toHaveLength(1);
    const call = flavours.calls[0]!;
    expect(call.path).toBe('/redeem');
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers['idempotency-key']).toBe('red-123');
    expect(call.body).toEqual({
      reward_code: 'ABCD-EFGH-JKMN-PQRS',
      business_refrence: 'biz-9',
      branch_id: 'branch-7',
      date: '2025-03-04 05:06:07',
      timestamp: String(Math.floor(Date.UTC(2025, 2, 4, 5, 6, 7) / 1000)),
    });
    expect(call.body.timestamp).toBe('1741064767');
  });

  it('sends the same body on every attempt of the same redemption', async () => {
    const { run } = setup();
    await run();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await run();
    expect(flavours.calls).toHaveLength(2);
    expect(flavours.calls[1]!.rawBody).toBe(flavours.calls[0]!.rawBody);
  });

  it('authenticates to Flavours with an api-token header', async () => {
    const { run } = setup();
    await run({ partner: 'flavours' });
    const headers = flavours.calls[0]!.headers;
    expect(headers['api-token']).toBe('s3cret');
    expect(headers.authorization).toBeUndefined();
  });

  it('authenticates to RETM with a bearer token', async () => {
    const { run } = setup();
    expect(await run({ partner: 'retm' })).toEqual({ called: true, status: 200 });
    expect(flavours.calls).toHaveLength(0);
    const headers = retm.calls[0]!.headers;
    expect(headers.authorization).toBe('Bearer tok');
    expect(headers['api-token']).toBeUndefined();
  });

  it('signs the exact raw body for Deliverect with a hex HMAC-SHA256', async () => {
    const { run } = setup();
    expect(await run({ partner: 'deliverect' })).toEqual({ called: true, status: 200 });
    const call = deliverect.calls[0]!;
    const expected = createHmac('sha256', 'hmac-secret').update(call.rawBody).digest('hex');
    expect(call.headers['x-server-authorization-hmac-sha256']).toBe(expected);
    expect(call.headers['x-server-authorization-hmac-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(call.headers['api-token']).toBeUndefined();
    expect(call.headers.authorization).toBeUndefined();
  });

  it.each([408, 429, 500, 503])('treats %i as PartnerUnavailable, retryable', async (status) => {
    const { run, events } = setup();
    flavours.queue({ status, body: { error: 'busy' } });
    const failure = await failureOf(run());
    expect(failure.type).toBe('PartnerUnavailable');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain(String(status));
    expect(events()).toHaveLength(1);
    expect(events()[0].data).toMatchObject({ status, outcome: 'retryable' });
  });

  it('treats a connection dropped after the request was sent as PartnerOutcomeUnknown, retryable', async () => {
    const { run, events } = setup();
    flavours.queue({ drop: true });
    const failure = await failureOf(run());
    expect(failure.type).toBe('PartnerOutcomeUnknown');
    expect(failure.nonRetryable).toBe(false);
    expect(flavours.calls).toHaveLength(1);
    expect(events()[0].data).toMatchObject({ outcome: 'unknown', partner: 'flavours' });
  });

  it('treats a timeout after the request was sent as PartnerOutcomeUnknown, retryable, after the attempt timeout', async () => {
    const { run, events } = setup();
    flavours.queue({ hang: true });
    const started = Date.now();
    const failure = await failureOf(run({ attemptTimeoutMs: 300 }));
    const elapsed = Date.now() - started;
    expect(failure.type).toBe('PartnerOutcomeUnknown');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('timed out');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5_000);
    expect(events()[0].data).toMatchObject({ outcome: 'unknown', error: 'timed out' });
    expect(events()[0].data.latency_ms).toBeGreaterThanOrEqual(250);
  });

  it('treats a refused connection as PartnerUnavailable: the request never left', async () => {
    const closed = await startStubPartner();
    const url = closed.redeemUrl;
    await closed.close();
    const { db, updates } = fakeDb();
    const config = loadConfig({ API_KEYS: 'k', FLAVOURS_REDEEM_URL: url });
    const env = new MockActivityEnvironment(undefined, { logger: silentLogger });
    const failure = await failureOf(env.run(createPartnerFulfilment(db, config).redeemWithPartner, inputFor()));
    expect(failure.type).toBe('PartnerUnavailable');
    expect(failure.nonRetryable).toBe(false);
    expect(updates[0]!.document.data).toMatchObject({ outcome: 'unreachable' });
  });

  it('treats 409 as PartnerOutcomeUnknown while reconciling: the earlier request with this key may still be running', async () => {
    const { run, events } = setup();
    flavours.queue({ status: 409, body: { error: 'request in progress' } });
    const failure = await failureOf(run({ reconciling: true }));
    expect(failure.type).toBe('PartnerOutcomeUnknown');
    expect(failure.nonRetryable).toBe(false);
    expect(events()[0]).toMatchObject({
      key: 'partner-reconcile:1',
      data: { status: 409, outcome: 'unknown', reconciling: true },
    });
  });

  it('reports a definite failure as PartnerOutcomeUnknown when the attempt before it left no answer (its worker stopped mid-call)', async () => {
    const { run, events } = setup({ attempt: 2 });
    flavours.queue({ status: 503 });
    const failure = await failureOf(run());
    expect(failure.type).toBe('PartnerOutcomeUnknown');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('after an attempt that ended without an answer');
    expect(events()).toMatchObject([{ key: 'partner:2', data: { attempt: 2, status: 503, outcome: 'retryable' } }]);
  });

  it('calls the partner within a second when the store cannot say whether the attempt before recorded its answer', async () => {
    const { run } = setup({ attempt: 2, hangReads: true });
    flavours.queue({ status: 503 });
    const started = Date.now();
    const failure = await failureOf(run());
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(flavours.calls).toHaveLength(1);
    expect(failure.type).toBe('PartnerOutcomeUnknown');
  });

  it('keeps a definite failure definite when the attempt before it recorded its answer', async () => {
    const { db, updates } = fakeDb();
    const config = loadConfig({ API_KEYS: 'k', FLAVOURS_REDEEM_URL: flavours.redeemUrl });
    const activity = createPartnerFulfilment(db, config).redeemWithPartner;
    const attempt = (number: number) =>
      failureOf(new MockActivityEnvironment({ attempt: number }, { logger: silentLogger }).run(activity, inputFor()));
    flavours.queue({ status: 503 }, { status: 502 });
    expect((await attempt(1)).type).toBe('PartnerUnavailable');
    expect((await attempt(2)).type).toBe('PartnerUnavailable');
    expect(updates).toHaveLength(2);
  });

  it('reports an unknown outcome even when its audit event could not be written', async () => {
    const { run } = setup({ failWrites: true });
    flavours.queue({ hang: true });
    const failure = await failureOf(run({ attemptTimeoutMs: 200 }));
    expect(failure.type).toBe('PartnerOutcomeUnknown');
  });

  it.each([400, 404, 409, 422])('treats %i as PartnerRejected, not retryable', async (status) => {
    const { run, events } = setup();
    flavours.queue({ status, body: { error: 'no' } });
    const failure = await failureOf(run());
    expect(failure.type).toBe('PartnerRejected');
    expect(failure.nonRetryable).toBe(true);
    expect(events()[0].data).toMatchObject({ status, outcome: 'rejected' });
  });

  it('skips the call when the partner has no redeem URL', async () => {
    const { run, events } = setup();
    const result = await run({ partner: 'bonat' });
    expect(result).toMatchObject({ called: false });
    for (const stub of [flavours, retm, deliverect]) expect(stub.calls).toHaveLength(0);
    expect(events()).toHaveLength(1);
    expect(events()[0].data).toMatchObject({ partner: 'bonat', outcome: 'skipped' });
  });

  it('audits status, latency and request body under a per-attempt key', async () => {
    const { run, events } = setup();
    flavours.queue({ status: 200, delayMs: 50 });
    await run();
    expect(events()).toHaveLength(1);
    const event = events()[0];
    expect(event.key).toBe('partner:1');
    expect(event.redemption_id).toBe('red-123');
    expect(event.type).toBe('partner_call');
    expect(event.at).toBeInstanceOf(Date);
    expect(event.data).toMatchObject({
      partner: 'flavours',
      attempt: 1,
      status: 200,
      outcome: 'accepted',
      url: flavours.redeemUrl,
      request: flavours.calls[0]!.body,
    });
    expect(event.data.latency_ms).toEqual(expect.any(Number));
    expect(event.data.latency_ms).toBeGreaterThanOrEqual(40);
  });

  it('answers success when the partner accepted even though its audit event could not be written', async () => {
    const { run } = setup({ failWrites: true });
    flavours.queue({ status: 200 });
    expect(await run()).toEqual({ called: true, status: 200 });
    expect(flavours.calls).toHaveLength(1);
  });

  it('fails the attempt when a refusal could not be audited, so that it is tried again', async () => {
    const { run } = setup({ failWrites: true });
    flavours.queue({ status: 503 });
    await expect(run()).rejects.toThrow('the store is unreachable');
  });

  // Regression: the activity appended its audit event to the redemption's document from whichever worker ran it,
  // while the redemption's workflow wrote the same document from its own worker; on FerretDB, whose updates are read,
  // change, replace, one could lose the other's write.
  it("records each attempt in its own document and never writes to the redemption's document", async () => {
    const { run, updates } = setup();
    flavours.queue({ status: 503 });
    await run().catch(() => undefined);
    await run();
    expect(updates.map(({ collection }) => collection)).toEqual(['partner_calls', 'partner_calls']);
  });

  it.each<[PartnerName, PartnerBehaviour]>([
    ['flavours', { status: 200 }],
    ['retm', { status: 503 }],
    ['deliverect', { status: 422 }],
    ['flavours', { drop: true }],
  ])('never writes the %s secret into the audit trail (%j)', async (partner, behaviour) => {
    const { run, updates } = setup();
    ({ flavours, retm, deliverect })[partner as 'flavours' | 'retm' | 'deliverect'].queue(behaviour);
    await run({ partner }).catch(() => undefined);
    expect(updates.length).toBeGreaterThan(0);
    const recorded = JSON.stringify(updates);
    expect(recorded).toContain('ABCD-EFGH-JKMN-PQRS');
    for (const secret of SECRETS) expect(recorded).not.toContain(secret);
  });
});
