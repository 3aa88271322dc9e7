import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../api/document';
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
  ['post', '/v1/redemptions/quote'],
  ['post', '/v1/redemptions/{id}/actions/{action}'],
  ['post', '/v1/orders'],
  ['post', '/v1/orders/{order_id}/cancel'],
  ['get', '/v1/reports/redemptions'],
  ['post', '/webhooks/{partner}/check_reward'],
  ['post', '/webhooks/{partner}/redeem_reward'],
  ['post', '/webhooks/deliverect/loyalty-programs'],
  ['post', '/webhooks/deliverect/orders'],
  ['post', '/webhooks/deliverect/orders/cancel'],
  ['post', '/v1/webhook-endpoints'],
  ['get', '/v1/webhook-endpoints'],
  ['get', '/v1/webhook-endpoints/{id}'],
  ['delete', '/v1/webhook-endpoints/{id}'],
  ['post', '/v1/webhook-endpoints/{id}/rotate-secret'],
  ['get', '/v1/webhook-endpoints/{id}/deliveries'],
  ['post', '/v1/webhook-endpoints/{id}/replay'],
  ['get', '/v1/partner-notifications/dead-letters'],
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
        // Each alternative is one scope that allows the call.
        expect(operation.security.length, path).toBeGreaterThan(0);
        for (const requirement of operation.security) expect(requirement.apiKey, path).toHaveLength(1);
        expect(operation.responses['401'], path).toBeDefined();
        expect(operation.responses['403'], path).toBeDefined();
      }
    }
    expect(document.paths['/v1/redemptions'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CreateRedemption',
    );
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Error', 'Redemption', 'RedemptionOptionInput', 'CreateRedemption']),
    );
  });

  it('carries the refinements the server enforces, so that a body the document allows is not refused', async () => {
    const document = await readJson(await fetch(`${stack.api.url}/openapi.json`));
    const schemas = document.components.schemas;
    expect(schemas.CreateMember.anyOf).toEqual([
      { required: ['email'] },
      { required: ['phone_number'] },
      { required: ['pos_account_id'] },
      { required: ['external_id'] },
    ]);
    expect(schemas.CreateMember.properties.email.pattern).toBeDefined();
    expect(schemas.CreateRedemption.anyOf).toHaveLength(4);
    expect(schemas.CreateRedemption.properties.customer_email.pattern).toBe('^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$');
    expect(schemas.CreateRedemption.properties.currency.enum).toContain('SAR');
    expect(schemas.CreateRedemption.properties.currency.enum).not.toContain('XXX');
    expect(schemas.PointsChange.properties.points.not).toEqual({ const: 0 });
    expect(schemas.OrderCreated.oneOf).toEqual([
      { required: ['coupon_code'], properties: { coupon_codes: false } },
      { required: ['coupon_codes'], properties: { coupon_code: false } },
    ]);
    const cancelKey = document.paths['/v1/orders/{order_id}/cancel'].post.parameters.find(
      (parameter: any) => parameter.in === 'header' && parameter.name === 'Idempotency-Key',
    );
    expect(cancelKey.required).toBeFalsy();
    expect(cancelKey.schema['x-required-if-body-has']).toEqual(['items', 'amount']);
    const percentage = schemas.RedemptionOptionInput.oneOf.find(
      (variant: any) => variant.properties.type.const === 'discount_percentage',
    );
    expect(percentage).toEqual({
      required: ['cost_points', 'discount'],
      properties: {
        type: { const: 'discount_percentage' },
        points_per_unit: false,
        unit_value: false,
        discount: { type: 'integer', exclusiveMinimum: 0, maximum: 10_000 },
      },
    });
    expect(schemas.RedemptionOptionInput.properties.ends_at['x-later-than']).toBe('starts_at');
    expect(schemas.WebhookReplayInput.properties.until['x-later-than']).toBe('since');
    expect(schemas.WebhookReplayInput.required).toEqual(['since']);
    expect(schemas.DeliverectOrderNotification.oneOf).toHaveLength(2);
    const createRedemption = document.paths['/v1/redemptions'].post;
    expect(createRedemption.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    );
    const sort = document.paths['/v1/redemptions'].get.parameters.find((parameter: any) => parameter.name === 'sort');
    const sortPattern = new RegExp(sort.schema.pattern, 'u');
    expect(['-created_at, status', '', 'updated_at,'].every((value) => sortPattern.test(value))).toBe(true);
    expect(['name', '- status', 'created_at;status'].some((value) => sortPattern.test(value))).toBe(false);
    const report = document.paths['/v1/reports/redemptions'].get;
    expect(Object.keys(report.responses['200'].content)).toEqual(['application/json', 'text/csv']);
    expect(report.parameters.map((parameter: any) => parameter.name)).toEqual(['from', 'to', 'group_by']);
    const partner = document.paths['/webhooks/{partner}/check_reward'].post.parameters[0];
    expect(partner.schema.enum).toEqual(['flavours', 'retm', 'bonat', 'loyapro']);
  });

  it('is the document that the typed client is generated from, built without a server', async () => {
    const served = await readJson(await fetch(`${stack.api.url}/openapi.json`));
    expect(served).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
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
