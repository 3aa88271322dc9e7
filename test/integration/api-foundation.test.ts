import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApi } from '../../api/compose';
import { TEST_METRICS_TOKEN } from '../harness/prometheus';
import { TEST_API_KEY, readJson, startTestStack, testLogger, type TestStack } from '../harness/stack';

describe('API foundation', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(() => stack?.close());

  it('answers liveness without credentials', async () => {
    const res = await fetch(`${stack.api.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ status: 'ok' });
  });

  it('reports ready when Temporal and MongoDB answer', async () => {
    const res = await fetch(`${stack.api.url}/readyz`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ status: 'ready', checks: { temporal: 'ok', mongodb: 'ok' } });
  });

  it('reports not ready with 503 when MongoDB is unreachable', async () => {
    const deadMongo = new MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 300 });
    const api = await composeApi(stack.config, {
      logger: testLogger,
      services: { mongo: { client: deadMongo, db: deadMongo.db('x') }, temporal: stack.client },
      port: 0,
    });
    try {
      const res = await fetch(`${api.url}/readyz`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
      expect(res.status).toBe(503);
      const body = await readJson(res);
      expect(body.checks.temporal).toBe('ok');
      expect(body.checks.mongodb).toMatch(/^unreachable/);
      // Without the token: ready or not, and no error text.
      const anonymous = await fetch(`${api.url}/readyz`);
      expect(anonymous.status).toBe(503);
      expect(await readJson(anonymous)).toEqual({ status: 'not_ready' });
    } finally {
      await api.close();
      await deadMongo.close();
    }
  });

  it('answers 503 when Temporal is unreachable, and the error names no internals', async () => {
    const deadTemporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const api = await composeApi(stack.config, {
      logger: testLogger,
      services: { mongo: stack.mongo, temporal: deadTemporal },
      port: 0,
    });
    try {
      const res = await fetch(`${api.url}/v1/redemptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ customer_email: 'a@example.com', redemption_option_id: 1 }),
      });
      expect(res.status).toBe(503);
      expect((await readJson(res)).error.code).toBe('service_unavailable');
    } finally {
      await api.close();
      await deadTemporal.connection.close();
    }
  });

  it('rejects /v1 without a bearer key, or with a wrong one, with 401 and the error body', async () => {
    for (const authorization of ['', 'Bearer wrong', 'Basic dGVzdA==']) {
      const res = await stack.api.request('/v1/members/anything', { headers: { authorization } });
      expect(res.status).toBe(401);
      const body = await readJson(res);
      expect(body).toEqual({ error: { code: 'unauthenticated', message: expect.any(String), details: [] } });
    }
  });

  it('answers an unknown route with 404 in the error body', async () => {
    const res = await stack.api.request('/v1/nowhere');
    expect(res.status).toBe(404);
    expect((await readJson(res)).error.code).toBe('route_not_found');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await stack.api.request('/v1/members', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(res.status).toBe(415);
    expect((await readJson(res)).error.code).toBe('unsupported_media_type');
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await stack.api.request('/v1/members', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expect(res.status).toBe(400);
    expect((await readJson(res)).error.code).toBe('invalid_request');
  });

  it('answers requests it cannot even read with 400, never 500', async () => {
    const badPath = await stack.api.request('/v1/redemptions/%E0%A4%A');
    expect(badPath.status).toBe(400);
    expect((await readJson(badPath)).error.code).toBe('invalid_request');
    const badEncoding = await stack.api.request('/v1/members', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: '{"email":"a@example.com"}',
    });
    expect(badEncoding.status).toBeGreaterThanOrEqual(400);
    expect(badEncoding.status).toBeLessThan(500);
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await stack.api.request('/v1/members', { method: 'POST', json: { padding: 'x'.repeat(200_000) } });
    expect(res.status).toBe(413);
    expect((await readJson(res)).error.code).toBe('body_too_large');
  });

  it('serves an OpenAPI 3.1 document and a page that renders it', async () => {
    const document = await readJson(await fetch(`${stack.api.url}/openapi.json`));
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz']));
    const page = await fetch(`${stack.api.url}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
  });

  it('exposes Prometheus metrics including request latency', async () => {
    await fetch(`${stack.api.url}/healthz`);
    const res = await fetch(`${stack.api.url}/metrics`, {
      headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
    });
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/,
    );
  });
});
