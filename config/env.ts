import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MAX_COUPON_TTL_SECONDS } from '../domain/options';
import { PARTNER_NAMES, type PartnerName } from '../domain/partners';
import { DEFAULT_PARTNER_RECONCILE_LIMIT_MS } from '../domain/review';
import { SCOPES, isScope, type Scope } from '../domain/scopes';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();
/** A whole number of `unit` from 1 to `max`, or `off`: undefined once parsed. */
const countOrOff = (unit: string, max: number, fallback: string) =>
  z
    .string()
    .trim()
    .regex(/^(off|\d+)$/, `must be a number of ${unit} (1 to ${max}), or off`)
    .refine((value) => value === 'off' || (Number(value) >= 1 && Number(value) <= max), `must be 1 to ${max} ${unit}`)
    .default(fallback)
    .transform((value) => (value === 'off' ? undefined : Number(value)));
const optionalUrl = optionalText.pipe(z.url({ protocol: /^https?$/ }).optional());

/** A 256-bit key, as 64 hex digits or base64 (44 characters). */
const secretKey = z
  .string()
  .trim()
  .transform((value) => Buffer.from(value, /^[0-9a-f]{64}$/i.test(value) ? 'hex' : 'base64'))
  .refine(
    (key) => key.length === 32,
    'must be a 256-bit key: 64 hex digits or 44 base64 characters (openssl rand -base64 32)',
  );

const partnerSchema = z.object(
  Object.fromEntries(
    PARTNER_NAMES.flatMap((name) => {
      const prefix = name.toUpperCase();
      return [
        [`${prefix}_INBOUND_SECRET`, optionalText],
        [`${prefix}_REDEEM_URL`, optionalUrl],
        [`${prefix}_OUTBOUND_SECRET`, optionalText],
      ];
    }),
  ) as Record<string, typeof optionalText>,
);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_BASE_URL: optionalUrl,
  API_KEYS: optionalText,
  API_RATE_LIMITS: optionalText,
  METRICS_TOKEN: optionalText,
  SECRETS_ENCRYPTION_KEY: optionalText.pipe(secretKey.optional()),
  SECRETS_ENCRYPTION_OLD_KEYS: optionalText.pipe(
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean),
      )
      .pipe(z.array(secretKey))
      .optional(),
  ),
  TEMPORAL_ADDRESS: z.string().trim().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('redemptions'),
  MONGODB_URI: z
    .string()
    .trim()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .default('mongodb://127.0.0.1:27017'),
  MONGODB_DB: z.string().trim().min(1).default('loyalty'),
  FERRETDB_POSTGRESQL_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  REDEMPTION_SYNC_WAIT_MS: positiveInt(10_000),
  PARTNER_REDEEM_DEADLINE_MS: positiveInt(120_000),
  PARTNER_CALL_TIMEOUT_MS: positiveInt(10_000),
  PARTNER_RECONCILE_LIMIT_MS: positiveInt(DEFAULT_PARTNER_RECONCILE_LIMIT_MS),
  DEFAULT_COUPON_TTL_SECONDS: z.coerce.number().int().positive().max(MAX_COUPON_TTL_SECONDS).default(604_800),
  ORDER_REFUND_WINDOW_SECONDS: positiveInt(30 * 24 * 3600),
  POINTS_EXPIRE_AFTER_DAYS: countOrOff('days', 36_500, 'off'),
  POINTS_EXPIRY_INTERVAL_SECONDS: countOrOff('seconds', 3600, '60'),
  DELIVERECT_ORPHAN_CANCEL_TTL_SECONDS: positiveInt(24 * 3600),
  DELIVERECT_HANDOFF_DEADLINE_SECONDS: positiveInt(3600),
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  WEBHOOK_RETRY_INITIAL_MS: positiveInt(5_000),
  WEBHOOK_RETRY_MAX_MS: positiveInt(3_600_000),
  WEBHOOK_ENDPOINTS_CACHE_MS: z.coerce.number().int().nonnegative().max(60_000).default(1_000),
  OPTIONS_CACHE_MS: z.coerce.number().int().nonnegative().max(3_600_000).default(5_000),
  WEBHOOK_DELIVERY_RETENTION_DAYS: z.coerce.number().int().positive().max(3650).default(30),
  WEBHOOK_REPLAY_MAX_WINDOW_DAYS: z.coerce.number().int().positive().max(365).default(7),
  WEBHOOK_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false'),
  WEBHOOK_ENDPOINTS_PER_CLIENT: positiveInt(20),
  WEBHOOK_SECRET_OVERLAP_SECONDS: z.coerce
    .number()
    .int()
    .nonnegative()
    .max(30 * 86_400)
    .default(86_400),
  WORKFLOW_BUNDLE_PATH: optionalText,
  WORKER_MAX_CACHED_WORKFLOWS: positiveInt(1000),
  WORKER_METRICS_ADDRESS: z
    .string()
    .trim()
    .regex(/^(off|[^\s:]+:\d{1,5})$/, 'must be host:port (e.g. 127.0.0.1:9464), or off')
    .default('127.0.0.1:9464'),
  RECONCILE_SCHEDULE: z
    .string()
    .trim()
    .regex(
      /^(off|every \d+[smhd]|\S+( \S+){4})$/,
      'must be a five-field cron expression in UTC (e.g. "0 3 * * *"), "every <n><s|m|h|d>" (e.g. "every 6h"), or off',
    )
    .default('0 3 * * *'),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_SERVICE_NAME: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface PartnerSettings {
  inboundSecret?: string;
  redeemUrl?: string;
  outboundSecret?: string;
}

export interface MongoSettings {
  uri: string;
  db: string;
  postgresUrl?: string;
}

export interface Config {
  port: number;
  /** Where clients reach the API; page links are built from it, never from the Host header. */
  publicBaseUrl: string;
  apiKeys: ApiKey[];
  /**
   * Requests a client may send per window, by client name; `*` applies to every client not named. Empty: no limits.
   * Each API process counts on its own.
   */
  rateLimits: Map<string, RateLimit>;
  /**
   * The bearer token that reads the API's /metrics and /readyz's details (Prometheus's `authorization`); without one,
   * /metrics is closed.
   */
  metricsToken?: string;
  temporal: { address: string; namespace: string; taskQueue: string };
  /**
   * `postgresUrl`: when the MongoDB-protocol server is FerretDB on PostgreSQL, the PostgreSQL it runs on, so that the
   * store can add the JSONB indexes FerretDB's pushed-down filters use.
   */
  mongo: MongoSettings;
  redemptionSyncWaitMs: number;
  /**
   * How long an API process reuses an option it read. The API has no route that changes an option, so this bounds how
   * long one changed in the store by hand (say, made inactive) is still seen as it was.
   */
  optionsCacheMs: number;
  partnerRedeemDeadlineMs: number;
  partnerCallTimeoutMs: number;
  /** How long fulfilment keeps retrying after an attempt whose outcome is unknown, before the redemption needs review. */
  partnerReconcileLimitMs: number;
  defaultCouponTtlSeconds: number;
  orderRefundWindowSeconds: number;
  /**
   * Points that expire: an earn without its own `expires_at` expires `afterDays` days after the day it was earned (none:
   * never), and the worker's Temporal Schedule runs the expiry pass every `intervalSeconds` (none: the schedule paused,
   * for a deployment whose other workers run it).
   */
  pointsExpiry: { afterDays?: number; intervalSeconds?: number };
  /**
   * Deliverect's inbox: a hand-off to the redemptions is retried for `handOffDeadlineMs`, and a cancellation waits for
   * an order we have not seen for `orphanCancelTtlMs`, before the notification goes to the dead letters.
   */
  deliverect: { handOffDeadlineMs: number; orphanCancelTtlMs: number };
  /**
   * Merchant webhooks: delivered by activities on their own task queue (`<TEMPORAL_TASK_QUEUE>-webhooks`), so that a
   * slow endpoint never holds a slot redemptions need; each attempt times out after `timeoutMs`, and failed attempts
   * are retried with exponential backoff from `retryInitialMs` up to `retryMaxMs` apart. A worker reads the enabled
   * endpoints at most once per `endpointsCacheMs`, instead of at every status change of every redemption. Each endpoint's lane drops its delivery attempts, and the events it keeps for replays, older than `deliveryRetentionDays`, now and then. Endpoints must
   * be on the public internet (domain/webhook-urls.ts) unless `allowPrivateUrls`.
   */
  webhooks: {
    taskQueue: string;
    timeoutMs: number;
    retryInitialMs: number;
    retryMaxMs: number;
    endpointsCacheMs: number;
    deliveryRetentionDays: number;
    /** The longest window one replay may ask for (its events are read and owed again within the request). */
    replayMaxWindowDays: number;
    allowPrivateUrls: boolean;
    /** How long a rotated-out signing secret still signs each delivery, beside the new one. */
    secretOverlapSeconds: number;
    /** How many endpoints one client may register: each is a lane in Temporal and a read at every status change. */
    endpointsPerClient: number;
  };
  /**
   * The key that seals webhook signing secrets at rest (none: they are kept unsealed, with a warning at start), and
   * the previous keys that still open what they sealed until `npm run secrets:reseal` has sealed it again.
   */
  secrets: { key?: Buffer; oldKeys: Buffer[] };
  logLevel: string;
  /** A workflow bundle built ahead of time (`npm run bundle`); without one the worker bundles at start. */
  workflowBundlePath?: string;
  /**
   * Workflows a worker keeps in memory between their tasks. A redemption awaiting its order sits idle for minutes to
   * days; evicted, it costs one short replay (~15 events) when its order comes, so the cache bounds the worker's
   * memory rather than holding every waiting redemption.
   */
  workerMaxCachedWorkflows: number;
  partners: Record<PartnerName, PartnerSettings>;
  /** Where the worker serves the Temporal SDK's Prometheus metrics (and its own business metrics); none when off. */
  workerMetricsAddress?: string;
  /**
   * When the worker's Temporal Schedule runs the ledger reconciliation: a cron expression (UTC) or an interval; none
   * (the schedule paused) when off.
   */
  reconcileSchedule?: { cron: string } | { every: string };
  /**
   * OpenTelemetry tracing: spans go over OTLP/HTTP to `${otlpEndpoint}/v1/traces`. Off (and no interceptor installed)
   * without an endpoint.
   */
  tracing: { otlpEndpoint?: string; serviceName?: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

export const DEV_API_KEY = 'dev-api-key';

/**
 * A bearer key, the client it belongs to and what it may do. `API_KEYS` entries are `client:key` (every scope) or
 * `client:key:scope+scope+…`, so that a client can rotate its key and keep its idempotency keys; a bare `key` is a
 * client of its own, named by the key's hash, with every scope.
 */
export interface ApiKey {
  client: string;
  key: string;
  scopes: ReadonlySet<Scope>;
}

/** An `API_KEYS` entry as a key, or the problem with it (which names the client, never the key). */
function apiKeyOf(entry: string, position: number): ApiKey | string {
  const parts = entry.split(':');
  if (parts.length === 1) {
    return {
      client: `key-${createHash('sha256').update(entry).digest('hex').slice(0, 16)}`,
      key: entry,
      scopes: new Set(SCOPES),
    };
  }
  // Scopes hold colons (members:read), so a key cannot: everything after the key is its scopes.
  const [client = '', key = '', ...scopeParts] = parts;
  const scopeList = scopeParts.length > 0 ? scopeParts.join(':') : undefined;
  if (client === '' || key === '') return `entry ${position} must be client:key or client:key:scope+scope`;
  if (scopeList === undefined) return { client, key, scopes: new Set(SCOPES) };
  const scopes = scopeList.split('+');
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0 || scopeList === '') {
    return `the key of client ${client} names ${unknown.length > 0 ? `unknown scopes ${unknown.map((scope) => `"${scope}"`).join(', ')}` : 'no scope'}; the scopes are ${SCOPES.join(', ')}`;
  }
  return { client, key, scopes: new Set(scopes as Scope[]) };
}

export interface RateLimit {
  limit: number;
  windowMs: number;
}

const RATE_WINDOWS: Record<string, number> = { second: 1_000, minute: 60_000, hour: 3_600_000 };

/** `API_RATE_LIMITS`: comma-separated `client:count/period` (period second, minute or hour; client `*` for the rest). */
function rateLimitsOf(value: string | undefined): Map<string, RateLimit> {
  const limits = new Map<string, RateLimit>();
  const problems: string[] = [];
  for (const entry of (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^([^:\s]+):(\d{1,9})\/(second|minute|hour)$/.exec(entry);
    if (!match || Number(match[2]) === 0) {
      problems.push(`API_RATE_LIMITS: "${entry}" must be client:count/period, e.g. till-1:600/minute or *:100/second`);
      continue;
    }
    limits.set(match[1]!, { limit: Number(match[2]), windowMs: RATE_WINDOWS[match[3]!]! });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return limits;
}

/** The inbound secret an embedded `npm start` gives a partner that has none, so that the demo can sign its calls. */
export function devInboundSecret(partner: PartnerName): string {
  return `dev-${partner}-secret`;
}

function reconcileScheduleOf(value: string): Config['reconcileSchedule'] {
  if (value === 'off') return undefined;
  return value.startsWith('every ') ? { every: value.slice('every '.length) } : { cron: value };
}

/**
 * Parses the environment once at start-up. In embedded mode a missing API_KEYS falls back to a development key, and a
 * partner without an inbound secret gets a development one (the caller logs a warning); elsewhere a missing API_KEYS
 * is an error and a partner without a secret is refused.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { embedded?: boolean } = {}): Config {
  const parsed = envSchema.safeParse(env);
  const parsedPartners = partnerSchema.safeParse(env);
  if (!parsed.success || !parsedPartners.success) {
    const issues = [...(parsed.error?.issues ?? []), ...(parsedPartners.error?.issues ?? [])];
    throw new ConfigError(issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const values = parsed.data;
  if (values.WEBHOOK_RETRY_MAX_MS < values.WEBHOOK_RETRY_INITIAL_MS) {
    throw new ConfigError(['WEBHOOK_RETRY_MAX_MS: must be at least WEBHOOK_RETRY_INITIAL_MS']);
  }
  const partnerValue = (name: string) => parsedPartners.data[name];
  const parsedKeys = (values.API_KEYS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => apiKeyOf(entry, index + 1));
  const keyProblems = parsedKeys.filter((parsed) => typeof parsed === 'string');
  if (keyProblems.length > 0) throw new ConfigError(keyProblems.map((problem) => `API_KEYS: ${problem}`));
  const apiKeys = parsedKeys as ApiKey[];
  if (apiKeys.length === 0) {
    if (!options.embedded) throw new ConfigError(['API_KEYS: set at least one bearer key for /v1']);
    apiKeys.push(apiKeyOf(DEV_API_KEY, 1) as ApiKey);
  }
  const partners = Object.fromEntries(
    PARTNER_NAMES.map((name) => {
      const prefix = name.toUpperCase();
      return [
        name,
        {
          inboundSecret:
            partnerValue(`${prefix}_INBOUND_SECRET`) ?? (options.embedded ? devInboundSecret(name) : undefined),
          redeemUrl: partnerValue(`${prefix}_REDEEM_URL`),
          outboundSecret: partnerValue(`${prefix}_OUTBOUND_SECRET`),
        },
      ];
    }),
  ) as Record<PartnerName, PartnerSettings>;
  return {
    port: values.PORT,
    publicBaseUrl: (values.PUBLIC_BASE_URL ?? `http://localhost:${values.PORT}`).replace(/\/+$/, ''),
    apiKeys,
    rateLimits: rateLimitsOf(values.API_RATE_LIMITS),
    metricsToken: values.METRICS_TOKEN,
    temporal: {
      address: values.TEMPORAL_ADDRESS,
      namespace: values.TEMPORAL_NAMESPACE,
      taskQueue: values.TEMPORAL_TASK_QUEUE,
    },
    mongo: { uri: values.MONGODB_URI, db: values.MONGODB_DB, postgresUrl: values.FERRETDB_POSTGRESQL_URL },
    redemptionSyncWaitMs: values.REDEMPTION_SYNC_WAIT_MS,
    optionsCacheMs: values.OPTIONS_CACHE_MS,
    partnerRedeemDeadlineMs: values.PARTNER_REDEEM_DEADLINE_MS,
    partnerCallTimeoutMs: values.PARTNER_CALL_TIMEOUT_MS,
    partnerReconcileLimitMs: values.PARTNER_RECONCILE_LIMIT_MS,
    defaultCouponTtlSeconds: values.DEFAULT_COUPON_TTL_SECONDS,
    orderRefundWindowSeconds: values.ORDER_REFUND_WINDOW_SECONDS,
    pointsExpiry: {
      ...(values.POINTS_EXPIRE_AFTER_DAYS !== undefined ? { afterDays: values.POINTS_EXPIRE_AFTER_DAYS } : {}),
      ...(values.POINTS_EXPIRY_INTERVAL_SECONDS !== undefined
        ? { intervalSeconds: values.POINTS_EXPIRY_INTERVAL_SECONDS }
        : {}),
    },
    deliverect: {
      orphanCancelTtlMs: values.DELIVERECT_ORPHAN_CANCEL_TTL_SECONDS * 1000,
      handOffDeadlineMs: values.DELIVERECT_HANDOFF_DEADLINE_SECONDS * 1000,
    },
    webhooks: {
      taskQueue: `${values.TEMPORAL_TASK_QUEUE}-webhooks`,
      timeoutMs: values.WEBHOOK_TIMEOUT_MS,
      retryInitialMs: values.WEBHOOK_RETRY_INITIAL_MS,
      retryMaxMs: values.WEBHOOK_RETRY_MAX_MS,
      endpointsCacheMs: values.WEBHOOK_ENDPOINTS_CACHE_MS,
      deliveryRetentionDays: values.WEBHOOK_DELIVERY_RETENTION_DAYS,
      replayMaxWindowDays: values.WEBHOOK_REPLAY_MAX_WINDOW_DAYS,
      allowPrivateUrls: values.WEBHOOK_ALLOW_PRIVATE_URLS === 'true',
      secretOverlapSeconds: values.WEBHOOK_SECRET_OVERLAP_SECONDS,
      endpointsPerClient: values.WEBHOOK_ENDPOINTS_PER_CLIENT,
    },
    secrets: { key: values.SECRETS_ENCRYPTION_KEY, oldKeys: values.SECRETS_ENCRYPTION_OLD_KEYS ?? [] },
    logLevel: values.LOG_LEVEL,
    workflowBundlePath: values.WORKFLOW_BUNDLE_PATH,
    workerMaxCachedWorkflows: values.WORKER_MAX_CACHED_WORKFLOWS,
    partners,
    workerMetricsAddress: values.WORKER_METRICS_ADDRESS === 'off' ? undefined : values.WORKER_METRICS_ADDRESS,
    reconcileSchedule: reconcileScheduleOf(values.RECONCILE_SCHEDULE),
    tracing: {
      otlpEndpoint: values.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, ''),
      serviceName: values.OTEL_SERVICE_NAME,
    },
  };
}
