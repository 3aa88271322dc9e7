/** Calls of the API that many suites make, through a test stack's API client. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { readJson, type TestStack } from './stack';

/** A free coffee option for 100 points, created over the API with `extra` fields; fails the test unless 201. */
export async function createOptionOverApi(stack: TestStack, extra: Record<string, unknown> = {}) {
  const res = await stack.api.request('/v1/redemption-options', {
    method: 'POST',
    json: { name: 'Free coffee', type: 'free_item', cost_points: 100, item_plu: 'COF-01', currency: 'SAR', ...extra },
  });
  expect(res.status).toBe(201);
  return readJson(res);
}

/** Create Redemption under a fresh Idempotency-Key: its status and body. */
export async function redeemOverApi(stack: TestStack, body: Record<string, unknown>) {
  const res = await stack.api.request('/v1/redemptions', {
    method: 'POST',
    headers: { 'Idempotency-Key': randomUUID() },
    json: body,
  });
  return { status: res.status, body: await readJson(res) };
}
