import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApi, type ComposedApi } from '../../api/compose';
import { TEST_API_KEY, connectTestClient, connectTestMongo, testConfig } from '../harness/stack';
import type { MongoHandle } from '../../store/connect';
import type { Client } from '@temporalio/client';

describe('request logs', () => {
  const lines: string[] = [];
  let api: ComposedApi;
  let url: string;
  let mongo: MongoHandle;
  let temporal: Client;

  beforeAll(async () => {
    const config = testConfig();
    mongo = await connectTestMongo(config);
    temporal = await connectTestClient(config);
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    api = await composeApi(config, { logger, services: { mongo, temporal }, port: 0 });
    url = api.url;
  });
  afterAll(async () => {
    await api?.close();
    await temporal?.connection.close();
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
  });

  it('name the path and status of each request, without query strings, credentials or stack traces for refusals', async () => {
    const headers = { authorization: `Bearer ${TEST_API_KEY}`, 'api-token': 'partner-secret' };
    await fetch(`${url}/v1/redemptions?coupon_code=WXYZ-2345-6789-ABCD`, { headers });
    await fetch(`${url}/v1/redemptions/rdm_missing?coupon_code=WXYZ-2345-6789-ABCD`, { headers });
    await fetch(`${url}/v1/orders`, { method: 'POST', headers, body: JSON.stringify({ coupon_code: 'x' }) });
    await new Promise((resolve) => setTimeout(resolve, 50));

    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(log).toContain('"path":"/v1/redemptions/rdm_missing"');
    expect(log).toContain('"statusCode":404');
    expect(log).not.toContain('WXYZ-2345-6789-ABCD');
    expect(log).not.toContain(TEST_API_KEY);
    expect(log).not.toContain('partner-secret');
    expect(log).not.toContain('"stack"');
  });
});
