import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, startTestStack, type TestStack } from '../harness/stack';

/** Every route of the product's HTTP contract (SPEC §3), as the OpenAPI document must describe it. */
const CONTRACT: [string, string][] = [
  ['post', '/v1/members'],
  ['get', '/v1/members/{id}'],
  ['post', '/v1/members/{id}/points'],
  ['get', '/v1/members/{id}/ledger'],
  ['post', '/v1/redemption-options'],
  ['get', '/v1/redemption-options'],
  ['get', '/v1/redemption-options/{id}'],
  ['post', '/v1/redemptions'],
  ['get', '/v1/redemptions/{id}'],
  ['get', '/v1/redemptions'],
  ['post', '/v1/redemptions/{id}/cancel'],
  ['post', '/v1/orders'],
  ['post', '/v1/orders/{order_id}/cancel'],
  ['post', '/webhooks/{partner}/check_reward'],
  ['post', '/webhooks/{partner}/redeem_reward'],
  ['post', '/webhooks/deliverect/loyalty-programs'],
  ['post', '/webhooks/deliverect/orders'],
  ['post', '/webhooks/deliverect/orders/cancel'],
  ['get', '/healthz'],
  ['get', '/readyz'],
];

describe('OpenAPI document', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(() => stack?.close());

  it('describes every route of the HTTP contract, with the bearer key on /v1 and the error body on failures', async () => {
    const document = await readJson(await fetch(`${stack.api.url}/openapi.json`));
    for (const [method, path] of CONTRACT) {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${path}`).toBeDefined();
      if (path.startsWith('/v1')) {
        expect(operation.security, path).toEqual([{ apiKey: [] }]);
        expect(operation.responses['401'], path).toBeDefined();
      }
    }
    expect(document.paths['/v1/redemptions'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CreateRedemption',
    );
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Error', 'Redemption', 'RedemptionOptionInput', 'CreateRedemption']),
    );
  });

  it('documents routes that the app really serves', async () => {
    const document = await readJson(await fetch(`${stack.api.url}/openapi.json`));
    for (const path of Object.keys(document.paths)) {
      const concrete = path.replace(/\{[^}]+\}/g, 'x');
      const method = Object.keys(document.paths[path])[0]!;
      const res = await stack.api.request(concrete, {
        method: method.toUpperCase(),
        ...(method === 'post' ? { json: {} } : {}),
      });
      const answer = res.status === 404 ? await readJson(res) : undefined;
      expect(answer?.error.code, `${method} ${path}`).not.toBe('route_not_found');
    }
  });
});
