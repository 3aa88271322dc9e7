import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_API_KEY, devInboundSecret, loadConfig } from '../../config/env';
import { SCOPES } from '../../domain/scopes';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ API_KEYS: 'k1' });
    expect(config).toMatchObject({
      port: 3000,
      apiKeys: [{ client: expect.stringMatching(/^key-[0-9a-f]{16}$/), key: 'k1' }],
      publicBaseUrl: 'http://localhost:3000',
      temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'redemptions' },
      mongo: { uri: 'mongodb://127.0.0.1:27017', db: 'loyalty' },
      redemptionSyncWaitMs: 10_000,
      partnerRedeemDeadlineMs: 120_000,
      partnerReconcileLimitMs: 3_600_000,
      defaultCouponTtlSeconds: 604_800,
      workerMetricsAddress: '127.0.0.1:9464',
      tracing: { otlpEndpoint: undefined },
    });
    expect(config.partners.flavours).toEqual({
      inboundSecret: undefined,
      redeemUrl: undefined,
      outboundSecret: undefined,
    });
  });

  it('turns worker metrics off with WORKER_METRICS_ADDRESS=off, tracing on with an OTLP endpoint, and names a bad address', () => {
    const config = loadConfig({
      API_KEYS: 'k1',
      WORKER_METRICS_ADDRESS: 'off',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
    });
    expect(config.workerMetricsAddress).toBeUndefined();
    expect(config.tracing.otlpEndpoint).toBe('http://collector:4318');
    expect(() => loadConfig({ API_KEYS: 'k1', WORKER_METRICS_ADDRESS: '9464' })).toThrow(/WORKER_METRICS_ADDRESS/);
    expect(() => loadConfig({ API_KEYS: 'k1', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });

  it('reads RECONCILE_SCHEDULE as a cron expression (daily at 03:00 UTC by default), an interval, or off, and names a bad one', () => {
    expect(loadConfig({ API_KEYS: 'k1' }).reconcileSchedule).toEqual({ cron: '0 3 * * *' });
    expect(loadConfig({ API_KEYS: 'k1', RECONCILE_SCHEDULE: '30 1 * * 1' }).reconcileSchedule).toEqual({
      cron: '30 1 * * 1',
    });
    expect(loadConfig({ API_KEYS: 'k1', RECONCILE_SCHEDULE: 'every 6h' }).reconcileSchedule).toEqual({ every: '6h' });
    expect(loadConfig({ API_KEYS: 'k1', RECONCILE_SCHEDULE: 'off' }).reconcileSchedule).toBeUndefined();
    for (const bad of ['daily', 'every day', '0 3 * *']) {
      expect(() => loadConfig({ API_KEYS: 'k1', RECONCILE_SCHEDULE: bad }), bad).toThrow(/RECONCILE_SCHEDULE/);
    }
  });

  it('reads POINTS_EXPIRE_AFTER_DAYS (off by default) and POINTS_EXPIRY_INTERVAL_SECONDS (60 by default, or off), and names a bad one', () => {
    expect(loadConfig({ API_KEYS: 'k1' }).pointsExpiry).toEqual({ intervalSeconds: 60 });
    expect(
      loadConfig({ API_KEYS: 'k1', POINTS_EXPIRE_AFTER_DAYS: '365', POINTS_EXPIRY_INTERVAL_SECONDS: 'off' })
        .pointsExpiry,
    ).toEqual({ afterDays: 365 });
    for (const bad of ['0', '-1', '1.5', 'never', '36501']) {
      expect(() => loadConfig({ API_KEYS: 'k1', POINTS_EXPIRE_AFTER_DAYS: bad }), bad).toThrow(
        /POINTS_EXPIRE_AFTER_DAYS/,
      );
    }
    for (const bad of ['0', '3601', '1m']) {
      expect(() => loadConfig({ API_KEYS: 'k1', POINTS_EXPIRY_INTERVAL_SECONDS: bad }), bad).toThrow(
        /POINTS_EXPIRY_INTERVAL_SECONDS/,
      );
    }
  });

  it('splits API_KEYS on commas, each key of its own client or of the client it names, and reads every partner variable', () => {
    const config = loadConfig({
      API_KEYS: ' a , b , till:t1,till:t2',
      RETM_INBOUND_SECRET: 'in',
      RETM_REDEEM_URL: 'https://retm.example/redeem',
      RETM_OUTBOUND_SECRET: 'out',
    });
    expect(config.apiKeys.map(({ key }) => key)).toEqual(['a', 'b', 't1', 't2']);
    expect(config.apiKeys.map(({ client }) => client)).toEqual([
      expect.stringMatching(/^key-/),
      expect.stringMatching(/^key-/),
      'till',
      'till',
    ]);
    expect(config.apiKeys[0]!.client).not.toBe(config.apiKeys[1]!.client);
    expect(config.partners.retm).toEqual({
      inboundSecret: 'in',
      redeemUrl: 'https://retm.example/redeem',
      outboundSecret: 'out',
    });
  });

  it('names every bad variable in one error', () => {
    const attempt = () =>
      loadConfig({
        API_KEYS: 'k',
        PORT: 'eighty',
        MONGODB_URI: 'postgres://x',
        FLAVOURS_REDEEM_URL: 'not a url',
        DEFAULT_COUPON_TTL_SECONDS: String(91 * 24 * 3600),
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT:/m);
      expect(problems).toMatch(/^MONGODB_URI:/m);
      expect(problems).toMatch(/^FLAVOURS_REDEEM_URL:/m);
      expect(problems).toMatch(/^DEFAULT_COUPON_TTL_SECONDS:/m);
    }
  });

  it('reads the scopes of each API key: none named is every scope, a named one is checked, the key is never echoed', () => {
    const config = loadConfig({ API_KEYS: 'till:t1:redemptions+orders,app:a1:members:read+members:write,ops:o' });
    expect(config.apiKeys.map(({ client, key, scopes }) => [client, key, [...scopes]])).toEqual([
      ['till', 't1', ['redemptions', 'orders']],
      ['app', 'a1', ['members:read', 'members:write']],
      ['ops', 'o', [...SCOPES]],
    ]);
    for (const bad of [
      'till:secret-key:redemptions+refunds',
      'till:secret-key:',
      ':secret-key',
      'till::orders',
      'till:secret-key:members',
    ]) {
      const failure = (() => {
        try {
          loadConfig({ API_KEYS: bad });
        } catch (error) {
          return error as ConfigError;
        }
      })();
      expect(failure, bad).toBeInstanceOf(ConfigError);
      expect(failure!.message, bad).toMatch(/API_KEYS/);
      expect(failure!.message, bad).not.toContain('secret-key');
    }
  });

  it('requires API_KEYS outside embedded mode and falls back to the development key inside it', () => {
    expect(() => loadConfig({})).toThrow(/API_KEYS/);
    expect(loadConfig({}, { embedded: true }).apiKeys.map(({ key }) => key)).toEqual([DEV_API_KEY]);
  });

  it('gives partners without an inbound secret a development one only in embedded mode', () => {
    expect(loadConfig({ API_KEYS: 'k' }).partners.flavours.inboundSecret).toBeUndefined();
    const embedded = loadConfig({ RETM_INBOUND_SECRET: 'real' }, { embedded: true });
    expect(embedded.partners.flavours.inboundSecret).toBe(devInboundSecret('flavours'));
    expect(embedded.partners.retm.inboundSecret).toBe('real');
  });

  it('rejects non-positive durations', () => {
    expect(() => loadConfig({ API_KEYS: 'k', REDEMPTION_SYNC_WAIT_MS: '0' })).toThrow(/REDEMPTION_SYNC_WAIT_MS/);
  });
});
