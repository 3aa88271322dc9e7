import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, startTestStack, type TestStack } from '../harness/stack';

/** A deployment as it runs by default: webhook endpoints must be on the public internet. */
describe('registering webhook endpoints where private URLs are not allowed', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false, env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'false' } });
  });
  afterAll(() => stack?.close());

  const register = async (url: string) => {
    const res = await stack.api.request('/v1/webhook-endpoints', { method: 'POST', json: { url, events: ['*'] } });
    return { status: res.status, body: await readJson(res) };
  };

  // (IPv6 literals are refused as invalid already; delivery judges every address a name resolves to.)
  it('refuses an endpoint on this machine or a private network with 422, and stores nothing', async () => {
    const before = await stack.mongo.db.collection('webhook_endpoints').countDocuments();
    for (const url of [
      'http://localhost:3000/hooks',
      'http://127.0.0.1/hooks',
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.8/hooks',
      'http://192.168.1.20:8443/hooks',
    ]) {
      const { status, body } = await register(url);
      expect({ url, status, code: body.error?.code }).toEqual({ url, status: 422, code: 'webhook_url_not_public' });
    }
    expect(await stack.mongo.db.collection('webhook_endpoints').countDocuments()).toBe(before);
  });

  it('registers a public one', async () => {
    expect((await register('https://merchant.example.com/hooks')).status).toBe(201);
  });
});
