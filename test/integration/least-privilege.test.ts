/**
 * Least privilege over HTTP: each key does only what its scopes allow, each client reads only its own redemptions and
 * manages only its own webhook endpoints, which hear only its own redemptions, and each client's requests are counted
 * against its rate limit.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SecretBox } from '../../store/secret-box';
import { WebhookEndpoints } from '../../store/webhooks';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { TEST_API_KEY, TEST_SECRETS_KEY, readJson, startTestStack, uniqueName, type TestStack } from '../harness/stack';
import { TEST_METRICS_TOKEN } from '../harness/prometheus';
import { signedWith, startStubPartner, type StubPartner } from '../harness/stub-partner';

const KEYS = {
  till: 'till-key',
  app: 'app-key',
  ops: 'ops-key',
  watcher: 'watcher-key',
  limited: 'limited-key',
};

describe('least privilege', () => {
  let stack: TestStack;
  const receivers: StubPartner[] = [];

  beforeAll(async () => {
    stack = await startTestStack({
      env: {
        API_KEYS: [
          `admin:${TEST_API_KEY}`,
          `till:${KEYS.till}:redemptions+orders+webhooks`,
          `app:${KEYS.app}:redemptions+members:read`,
          `ops:${KEYS.ops}:operator+reports`,
          `watcher:${KEYS.watcher}:webhooks+webhooks:all`,
          `limited:${KEYS.limited}:redemptions`,
        ].join(','),
        API_RATE_LIMITS: 'limited:3/minute',
        WEBHOOK_ENDPOINTS_CACHE_MS: '0',
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  const as = async (key: string, method: string, path: string, json?: unknown) => {
    const res = await stack.api.request(path, { method, json, headers: { authorization: `Bearer ${key}` } });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
  const redeemAs = async (key: string, delayed = true) => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const option = await createOption(stack.mongo.db);
    const created = await as(key, 'POST', '/v1/redemptions', {
      customer_email: member.email,
      redemption_option_id: option.id,
      delay_points_deduction: delayed,
    });
    expect(created.status).toBe(201);
    return { ...(created.body as { id: string; coupon_code: string }), member };
  };

  describe('scopes', () => {
    it.each([
      ['POST', '/v1/members', { email: 'scoped@example.com' }, KEYS.till, 'members:write'],
      ['GET', '/v1/members/mem_x', undefined, KEYS.till, 'members:read'],
      ['GET', '/v1/members/mem_x/ledger', undefined, KEYS.ops, 'members:read'],
      ['POST', '/v1/redemption-options', { name: 'x' }, KEYS.app, 'options:write'],
      ['GET', '/v1/redemption-options', undefined, KEYS.ops, 'redemptions'],
      ['POST', '/v1/redemptions', {}, KEYS.ops, 'redemptions'],
      ['POST', '/v1/orders', { order_id: 'o', coupon_code: 'c' }, KEYS.app, 'orders'],
      ['POST', '/v1/orders/o-1/cancel', undefined, KEYS.app, 'orders'],
      ['POST', '/v1/redemptions/rdm_x/actions/refund', { reason: 'r' }, KEYS.till, 'operator'],
      ['GET', '/v1/reports/redemptions', undefined, KEYS.till, 'reports'],
      ['GET', '/v1/webhook-endpoints', undefined, KEYS.app, 'webhooks'],
      ['POST', '/v1/webhook-endpoints', { url: 'https://x.example', events: ['*'] }, KEYS.ops, 'webhooks'],
      ['POST', '/v1/webhook-endpoints/whe_x/replay', { since: '2026-01-01T00:00:00Z' }, KEYS.app, 'webhooks'],
    ])(
      'refuses %s %s without its scope with 403 insufficient_scope naming it',
      async (method, path, json, key, scope) => {
        const answer = await as(key, method, path, json);
        expect(answer.status).toBe(403);
        expect(answer.body.error.code).toBe('insufficient_scope');
        expect(answer.body.error.message).toContain(`"${scope}"`);
      },
    );

    it('changes nothing when it refuses: no points earned, no endpoint registered, no redemption refunded', async () => {
      const member = await createMemberWithPoints(stack.mongo.db, 100);
      const earn = await as(KEYS.till, 'POST', `/v1/members/${member._id}/points`, {
        points: 1_000_000_000,
        reason: 'leaked key',
        idempotency_key: 'leak-1',
      });
      expect(earn.status).toBe(403);
      expect((await as(TEST_API_KEY, 'GET', `/v1/members/${member._id}`)).body.points_balance).toBe(100);

      const register = await as(KEYS.app, 'POST', '/v1/webhook-endpoints', {
        url: 'https://attacker.example/hook',
        events: ['*'],
      });
      expect(register.status).toBe(403);
      expect(await stack.mongo.db.collection('webhook_endpoints').countDocuments({ url: /attacker/ })).toBe(0);

      const redemption = await redeemAs(KEYS.till, false);
      const refund = await as(KEYS.till, 'POST', `/v1/redemptions/${redemption.id}/actions/refund`, { reason: 'x' });
      expect(refund.status).toBe(403);
      expect((await as(KEYS.till, 'GET', `/v1/redemptions/${redemption.id}`)).body.status).toBe('completed');
    });

    it('lists each route’s scopes in the OpenAPI document as its security requirements', async () => {
      const document = await readJson(await fetch(`${stack.api.url}/openapi.json`));
      expect(document.paths['/v1/members/{id}/points'].post.security).toEqual([{ apiKey: ['members:write'] }]);
      expect(document.paths['/v1/redemptions/{id}'].get.security).toEqual([
        { apiKey: ['redemptions'] },
        { apiKey: ['operator'] },
      ]);
      expect(document.paths['/v1/redemptions/{id}/actions/{action}'].post.responses['403']).toBeDefined();
      for (const [path, item] of Object.entries<any>(document.paths)) {
        for (const [method, operation] of Object.entries<any>(item)) {
          if (!path.startsWith('/v1/')) continue;
          expect(operation.security?.length, `${method} ${path}`).toBeGreaterThan(0);
          for (const requirement of operation.security) expect(requirement.apiKey).toHaveLength(1);
        }
      }
    });

    it('warns at start, outside npm start, about a key that has every scope, naming its client but not the key', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
        env: {
          ...process.env,
          PORT: '0',
          API_KEYS: 'everything:secret-full-key,till:secret-till-key:redemptions',
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          MONGODB_URI: inject('mongoUri'),
          MONGODB_DB: uniqueName('warn').replace(/-/g, '_'),
          FERRETDB_POSTGRESQL_URL: inject('postgresUrl'),
          TEMPORAL_TASK_QUEUE: uniqueName('queue'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      try {
        await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toContain('API listening');
      } finally {
        child.kill('SIGKILL');
      }
      expect(output).toMatch(/client everything has every scope/);
      expect(output).not.toMatch(/client till has every scope/);
      expect(output).not.toContain('secret-full-key');
    });
  });

  describe('clients isolated from each other', () => {
    it('lets a client read and cancel only its own redemptions (404 for the others), and an operator read them all', async () => {
      const tills = await redeemAs(KEYS.till);
      const apps = await redeemAs(KEYS.app);

      expect((await as(KEYS.app, 'GET', `/v1/redemptions/${tills.id}`)).status).toBe(404);
      expect((await as(KEYS.till, 'GET', `/v1/redemptions/${apps.id}`)).status).toBe(404);
      const cancel = await as(KEYS.app, 'POST', `/v1/redemptions/${tills.id}/cancel`);
      expect(cancel.status).toBe(404);
      expect((await as(KEYS.till, 'GET', `/v1/redemptions/${tills.id}`)).body.status).toBe('awaiting_order');

      const listed = async (key: string, query = '') =>
        ((await as(key, 'GET', `/v1/redemptions?per_page=100${query}`)).body.data as { id: string }[]).map(
          ({ id }) => id,
        );
      expect(await listed(KEYS.till)).toContain(tills.id);
      expect(await listed(KEYS.till)).not.toContain(apps.id);
      expect(await listed(KEYS.app, `&coupon_code=${tills.coupon_code}`)).toEqual([]);
      expect(await listed(KEYS.ops)).toEqual(expect.arrayContaining([tills.id, apps.id]));
      expect((await as(KEYS.ops, 'GET', `/v1/redemptions/${apps.id}`)).status).toBe(200);
    });

    it('lets only operators read redemptions stored before redemptions had an owner', async () => {
      const mine = await redeemAs(KEYS.till);
      const legacyId = `rdm_legacy${Date.now()}`;
      const stored = await stack.mongo.db.collection('redemptions').findOne({ _id: mine.id as never });
      const legacy: Record<string, unknown> = { ...stored, _id: legacyId, coupon_code: null };
      delete legacy.client_id;
      delete legacy.issued_coupon_code;
      await stack.mongo.db.collection('redemptions').insertOne(legacy as never);
      expect((await as(KEYS.ops, 'GET', `/v1/redemptions/${legacyId}`)).status).toBe(200);
      expect((await as(KEYS.till, 'GET', `/v1/redemptions/${legacyId}`)).status).toBe(404);
    });

    it('names in the audit trail the client that made each write', async () => {
      const redemption = await redeemAs(KEYS.till);
      const order = await as(KEYS.till, 'POST', '/v1/orders', {
        order_id: `order-${redemption.id}`,
        coupon_code: redemption.coupon_code,
      });
      expect(order.status).toBe(200);
      const cancelled = await redeemAs(KEYS.till);
      expect((await as(KEYS.till, 'POST', `/v1/redemptions/${cancelled.id}/cancel`)).status).toBe(200);

      const trail = async (id: string) => (await as(KEYS.ops, 'GET', `/v1/redemptions/${id}`)).body.events as any[];
      const captured = await trail(redemption.id);
      expect(captured.find((event) => event.type === 'requested').client).toBe('till');
      expect(captured.find((event) => event.status === 'redeeming').client).toBe('till');
      const release = await trail(cancelled.id);
      expect(release.find((event) => event.status === 'cancelled').client).toBe('till');
      // The workflow's own steps (its partner's answer, completion) are not a client's.
      expect(captured.find((event) => event.status === 'completed').client).toBeUndefined();

      const refunded = await redeemAs(KEYS.till, false);
      const refund = await as(TEST_API_KEY, 'POST', `/v1/redemptions/${refunded.id}/actions/refund`, {
        reason: 'goodwill',
      });
      expect(refund.status).toBe(200);
      const action = (await trail(refunded.id)).find((event) => event.type === 'operator_action');
      expect(action.data).toMatchObject({ action: 'refund', operator: 'admin', reason: 'goodwill' });
    });

    it('keeps each client’s webhook endpoints its own: another client’s answer 404 to every call', async () => {
      const created = await as(KEYS.till, 'POST', '/v1/webhook-endpoints', {
        url: 'https://till.example/hooks',
        events: ['*'],
      });
      expect(created.status).toBe(201);
      expect(created.body.redemptions).toBe('own');
      const { id } = created.body;
      for (const [method, path] of [
        ['GET', `/v1/webhook-endpoints/${id}`],
        ['GET', `/v1/webhook-endpoints/${id}/deliveries`],
        ['POST', `/v1/webhook-endpoints/${id}/rotate-secret`],
        ['POST', `/v1/webhook-endpoints/${id}/replay`],
        ['DELETE', `/v1/webhook-endpoints/${id}`],
      ] as const) {
        const json = path.endsWith('/replay') ? { since: new Date(Date.now() - 60_000).toISOString() } : undefined;
        expect((await as(KEYS.watcher, method, path, json)).status, `${method} ${path}`).toBe(404);
      }
      const listed = (await as(KEYS.watcher, 'GET', '/v1/webhook-endpoints')).body.data.map((e: any) => e.id);
      expect(listed).not.toContain(id);
      expect((await as(KEYS.till, 'GET', `/v1/webhook-endpoints/${id}`)).status).toBe(200);
      expect((await as(KEYS.till, 'DELETE', `/v1/webhook-endpoints/${id}`)).status).toBe(204);
    });

    it('refuses an endpoint for every client’s redemptions to a key without webhooks:all', async () => {
      const answer = await as(KEYS.till, 'POST', '/v1/webhook-endpoints', {
        url: 'https://till.example/all',
        events: ['*'],
        redemptions: 'all',
      });
      expect(answer.status).toBe(403);
      expect(answer.body.error.message).toContain('"webhooks:all"');
      expect(await stack.mongo.db.collection('webhook_endpoints').countDocuments({ url: /till\.example\/all/ })).toBe(
        0,
      );
    });

    it('delivers a client’s redemptions to its own endpoints and to webhooks:all endpoints, never to another client’s', async () => {
      const own = await startStubPartner();
      const everyone = await startStubPartner();
      receivers.push(own, everyone);
      const ownEndpoint = await as(KEYS.till, 'POST', '/v1/webhook-endpoints', {
        url: own.redeemUrl,
        events: ['redemption.awaiting_order'],
      });
      const allEndpoint = await as(KEYS.watcher, 'POST', '/v1/webhook-endpoints', {
        url: everyone.redeemUrl,
        events: ['redemption.awaiting_order'],
        redemptions: 'all',
      });
      expect([ownEndpoint.status, allEndpoint.status]).toEqual([201, 201]);
      expect(allEndpoint.body.redemptions).toBe('all');

      const tills = await redeemAs(KEYS.till);
      const apps = await redeemAs(KEYS.app);
      const heard = (receiver: StubPartner) => receiver.calls.map((call) => call.body?.data?.id);
      await expect
        .poll(() => heard(everyone), { timeout: 15_000, interval: 50 })
        .toEqual(expect.arrayContaining([tills.id, apps.id]));
      await expect.poll(() => heard(own), { timeout: 15_000, interval: 50 }).toContain(tills.id);
      // The all-hearing endpoint had both; the own one got till's alone.
      expect(heard(own)).not.toContain(apps.id);
      for (const endpoint of [ownEndpoint, allEndpoint]) {
        const key = endpoint === ownEndpoint ? KEYS.till : KEYS.watcher;
        await as(key, 'DELETE', `/v1/webhook-endpoints/${endpoint.body.id}`);
      }
    });

    it('answers a client past its rate limit 429 with Retry-After, and only that client', async () => {
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof as>> | undefined;
      for (let index = 0; index < 5; index++) {
        const answer = await as(KEYS.limited, 'GET', '/v1/redemptions');
        statuses.push(answer.status);
        if (answer.status === 429) limited = answer;
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(limited!.body.error.code).toBe('rate_limited');
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await as(KEYS.app, 'GET', '/v1/redemptions')).status).toBe(200);
    });
  });

  describe('secrets kept secret', () => {
    const verified = signedWith;
    const endpoints = () => stack.mongo.db.collection<{ _id: string; [field: string]: any }>('webhook_endpoints');

    it('stores signing secrets sealed, and signs with the secret shown', async () => {
      const receiver = await startStubPartner();
      receivers.push(receiver);
      const created = await as(KEYS.till, 'POST', '/v1/webhook-endpoints', {
        url: receiver.redeemUrl,
        events: ['redemption.awaiting_order'],
      });
      const stored = await endpoints().findOne({ _id: created.body.id });
      expect(stored!.secret).toMatch(/^v1\./);
      expect(JSON.stringify(stored)).not.toContain(created.body.secret.slice('whsec_'.length));
      const redemption = await redeemAs(KEYS.till);
      await expect
        .poll(() => receiver.calls.find((call) => call.body?.data?.id === redemption.id), { timeout: 15_000 })
        .toBeDefined();
      const delivery = receiver.calls.find((call) => call.body?.data?.id === redemption.id)!;
      expect(await verified(created.body.secret, delivery)).toBe(true);
      await as(KEYS.till, 'DELETE', `/v1/webhook-endpoints/${created.body.id}`);
    });

    it('keeps an endpoint stored before secrets were sealed and endpoints had owners working, and reseals it', async () => {
      const receiver = await startStubPartner();
      receivers.push(receiver);
      const id = `whe_legacy${Date.now()}`;
      const secret = `whsec_${Buffer.alloc(24, 3).toString('base64')}`;
      const now = new Date();
      await endpoints().insertOne({
        _id: id,
        url: receiver.redeemUrl,
        events: ['redemption.awaiting_order'],
        description: null,
        secret,
        status: 'enabled',
        disabled_reason: null,
        created_at: now,
        updated_at: now,
      });
      // It heard every client's redemptions before, and still does; webhooks:all keys manage it, others do not see it.
      expect((await as(KEYS.till, 'GET', `/v1/webhook-endpoints/${id}`)).status).toBe(404);
      expect((await as(KEYS.watcher, 'GET', `/v1/webhook-endpoints/${id}`)).body.redemptions).toBe('all');
      const listedBy = async (key: string) =>
        ((await as(key, 'GET', '/v1/webhook-endpoints?per_page=100')).body.data as { id: string }[]).map((e) => e.id);
      expect(await listedBy(KEYS.watcher)).toContain(id);
      expect(await listedBy(KEYS.till)).not.toContain(id);
      const first = await redeemAs(KEYS.app);
      await expect
        .poll(() => receiver.calls.find((call) => call.body?.data?.id === first.id), { timeout: 15_000 })
        .toBeDefined();
      expect(
        await verified(
          secret,
          receiver.calls.find((call) => call.body?.data?.id === first.id)!,
        ),
      ).toBe(true);

      // npm run secrets:reseal, after the key changed: what the old key sealed and what was never sealed, sealed anew.
      const newKey = Buffer.alloc(32, 9);
      const box = new SecretBox(newKey, [Buffer.from(TEST_SECRETS_KEY, 'base64')]);
      expect(await new WebhookEndpoints(stack.mongo.db, box).reseal()).toBeGreaterThan(0);
      const resealed = await endpoints().findOne({ _id: id });
      expect(box.isCurrent(resealed!.secret)).toBe(true);
      expect((await new WebhookEndpoints(stack.mongo.db, box).get(id))!.secret).toBe(secret);
      // Sealed for this endpoint only: moved to another record, it does not open.
      expect(() => box.open(resealed!.secret, 'whe_other')).toThrow();
      await as(KEYS.watcher, 'DELETE', `/v1/webhook-endpoints/${id}`);
    });
  });

  describe('what is public', () => {
    it('serves /metrics only to the metrics token', async () => {
      for (const authorization of [undefined, `Bearer ${TEST_API_KEY}`, 'Bearer wrong-token']) {
        const res = await fetch(`${stack.api.url}/metrics`, { headers: authorization ? { authorization } : {} });
        expect(res.status, authorization).toBe(401);
        expect((await readJson(res)).error.code).toBe('unauthenticated');
      }
      const res = await fetch(`${stack.api.url}/metrics`, {
        headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('http_request_duration_seconds');
    });

    it('answers /readyz with ready or not to anyone, and with its checks only to monitoring and operators', async () => {
      const readyz = async (authorization?: string) =>
        readJson(await fetch(`${stack.api.url}/readyz`, { headers: authorization ? { authorization } : {} }));
      expect(await readyz()).toEqual({ status: 'ready' });
      expect(await readyz(`Bearer ${KEYS.till}`)).toEqual({ status: 'ready' });
      expect((await readyz(`Bearer ${KEYS.ops}`)).checks).toEqual({ temporal: 'ok', mongodb: 'ok' });
      expect((await readyz(`Bearer ${TEST_METRICS_TOKEN}`)).checks).toEqual({ temporal: 'ok', mongodb: 'ok' });
    });
  });

  describe('no 500 for any request a client can send', () => {
    /** A request written byte for byte, for what fetch will not send. */
    const raw = (requestLine: string, headers: string[]) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const { port } = new URL(stack.api.url);
        const socket = connect(Number(port), '127.0.0.1', () =>
          socket.write([requestLine, ...headers, 'Connection: close', '', ''].join('\r\n'), 'latin1'),
        );
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        socket.on('error', reject);
        socket.on('end', () => {
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
          const body = text.slice(text.indexOf('\r\n\r\n') + 4);
          resolve({ status, body: body.startsWith('{') ? JSON.parse(body) : body });
        });
      });

    it('answers a request line in absolute form, with links from PUBLIC_BASE_URL and the parsed path only', async () => {
      await redeemAs(KEYS.till);
      await redeemAs(KEYS.till);
      const answer = await raw('GET http://other.host/v1/redemptions?per_page=1&junk=%ZZ HTTP/1.1', [
        'Host: other.host',
        `Authorization: Bearer ${KEYS.till}`,
      ]);
      expect(answer.status).toBe(200);
      expect(answer.body.path).toBe(`${stack.config.publicBaseUrl}/v1/redemptions`);
      expect(answer.body.next_page_url).toBe(`${stack.config.publicBaseUrl}/v1/redemptions?per_page=1&page=2`);
      expect(JSON.stringify(answer.body)).not.toContain('other.host');
      expect(JSON.stringify(answer.body)).not.toContain('junk');
    });

    it('reads report bounds by one rule: any date or date-time of the years 0000 to 9999, within 0001 to 9999 UTC', async () => {
      const report = async (query: string) => as(KEYS.ops, 'GET', `/v1/reports/redemptions?${query}`);
      for (const query of [
        'from=0050-01-01&to=0050-01-31',
        'from=0001-01-01T00:00:00Z&to=0001-01-10',
        'from=0000-12-25&to=0001-01-02',
        'from=2024-02-29',
        'from=9999-12-20',
        'from=9999-12-20&to=9999-12-31T23:00:00-05:00',
      ]) {
        const answer = await report(query);
        expect(answer.status, query).toBe(200);
        const keys = (answer.body.rows as { key: string }[]).map(({ key }) => key);
        for (const key of keys) expect(key, query).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(new Set(keys).size, query).toBe(keys.length);
        expect(answer.body.to, query).toMatch(/^\d{4}-/);
      }
      expect((await report('from=9999-12-20')).body.rows.at(-1).key).toBe('9999-12-31');
      for (const query of ['from=2023-02-29', 'from=2026-02-30', 'from=99999-01-01', 'to=2026-01-01T24:00:00Z']) {
        const answer = await report(query);
        expect(answer.status, query).toBe(400);
      }
    });

    it('refuses an Idempotency-Key outside its documented pattern with 400, starting nothing', async () => {
      const member = await createMemberWithPoints(stack.mongo.db, 1_000);
      const option = await createOption(stack.mongo.db);
      const body = JSON.stringify({ customer_email: member.email, redemption_option_id: option.id });
      for (const key of ['tab\there', 'cl\u00e9']) {
        const res = await stack.api.request('/v1/redemptions', {
          method: 'POST',
          body,
          headers: { authorization: `Bearer ${KEYS.till}`, 'content-type': 'application/json', 'idempotency-key': key },
        });
        expect(res.status, JSON.stringify(key)).toBe(400);
        expect((await readJson(res)).error.details[0].path).toBe('Idempotency-Key');
      }
      expect(await stack.mongo.db.collection('redemptions').countDocuments({ member_id: member._id })).toBe(0);
    });

    it('keeps the OpenAPI document and the server in agreement on bodies, point_redemptions and URLs', async () => {
      const document = await readJson(await fetch(`${stack.api.url}/openapi.json`));
      const body = (path: string) => document.paths[path].post.requestBody;
      expect(body('/v1/redemptions').required).toBe(true);
      expect(body('/v1/members').required).toBe(true);
      expect(body('/v1/webhook-endpoints').required).toBe(true);
      expect(body('/v1/orders/{order_id}/cancel').required).toBe(false);
      // Found by the fuzz suite's conformance check: any POST can be sent a body that is not JSON.
      const rotate = document.paths['/v1/webhook-endpoints/{id}/rotate-secret'].post.responses;
      expect(Object.keys(rotate)).toEqual(expect.arrayContaining(['400', '413', '415']));
      const notJson = await stack.api.request('/v1/webhook-endpoints/whe_x/rotate-secret', {
        method: 'POST',
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(notJson.status).toBe(415);
      expect(document.components.schemas.CreateRedemption.properties.point_redemptions.minimum).toBe(1);
      // Text the server took as given is not claimed to be an RFC 3986 URI.
      expect(document.components.schemas.WebhookEndpoint.properties.url.format).toBeUndefined();
      expect(document.components.schemas.RedemptionOption.properties.media_url.format).toBeUndefined();

      const member = await createMemberWithPoints(stack.mongo.db, 1_000);
      const variable = await createOption(stack.mongo.db, {
        type: 'variable',
        points_per_unit: 10,
        unit_value: 100,
        cost_points: undefined,
        item_plu: undefined,
      });
      const zero = await as(KEYS.till, 'POST', '/v1/redemptions', {
        customer_email: member.email,
        redemption_option_id: variable.id,
        point_redemptions: 0,
      });
      expect(zero.status).toBe(400);
      expect(await stack.mongo.db.collection('redemptions').countDocuments({ member_id: member._id })).toBe(0);
      const media = await as(TEST_API_KEY, 'POST', '/v1/redemption-options', {
        name: 'Spaced',
        type: 'discount_amount',
        cost_points: 100,
        discount: 100,
        currency: 'SAR',
        media_url: 'https://cdn.example/a b.png',
      });
      expect(media.status).toBe(400);
    });
  });
});
