import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GaugeReadings } from '../application/gauge-readings';
import { PARTNER_NAMES, type PartnerName } from '../domain/partners';
import { WAITING_STATUSES } from '../domain/states';
import { STUCK_REASONS } from '../domain/stuck';

/**
 * The API's metrics on `/metrics`: its HTTP traffic and answers, ledger retries of its own appends, and gauges read
 * from the store at scrape time (the same for every API replica: aggregate them with max, not sum). What the worker
 * does (partner calls, its ledger retries, redemptions finished) is on the worker's own metrics address.
 */
export function createMetrics(store: GaugeReadings) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const redemptionOutcomes = new Counter({
    name: 'redemption_requests_total',
    help: 'Create Redemption answers by the redemption status they reported',
    labelNames: ['status'],
    registers: [registry],
  });
  const ledgerContentionRetries = new Counter({
    name: 'ledger_contention_retries_total',
    help: 'Ledger appends that lost the race for a member’s next entry and tried again',
    labelNames: ['process'],
    registers: [registry],
  });
  /**
   * A store gauge whose series vanish while the store cannot be read (readiness says why), instead of failing the whole
   * scrape or repeating a stale value.
   */
  const fromStore = <T extends string>(read: (gauge: Gauge<T>) => Promise<void>) =>
    async function collect(this: Gauge<T>) {
      try {
        await read(this);
      } catch {
        this.reset();
      }
    };

  new Gauge({
    name: 'redemptions_waiting',
    help: 'Redemptions in a status that waits for something (an order, a partner, an operator), by status',
    labelNames: ['status'],
    registers: [registry],
    collect: fromStore(async (gauge) => {
      const { waiting } = await store.redemptionsWaiting();
      for (const status of WAITING_STATUSES) gauge.set({ status }, waiting.get(status) ?? 0);
    }),
  });
  new Gauge({
    name: 'points_held_outstanding',
    help: 'Points held by redemptions awaiting their order, by the partner that will fulfil them',
    labelNames: ['partner'],
    registers: [registry],
    collect: fromStore(async (gauge) => {
      const held = (await store.redemptionsWaiting()).pointsHeldByPartner;
      for (const partner of [...PARTNER_NAMES, 'none']) gauge.set({ partner }, held.get(partner) ?? 0);
    }),
  });
  const byPartner = (name: string, help: string, read: (partner: PartnerName) => Promise<number>) =>
    new Gauge({
      name,
      help,
      labelNames: ['partner'],
      registers: [registry],
      collect: fromStore(async (gauge) => {
        const counts = await Promise.all(PARTNER_NAMES.map(read));
        PARTNER_NAMES.forEach((partner, index) => gauge.set({ partner }, counts[index]!));
      }),
    });
  byPartner(
    'partner_inbox_backlog',
    'Partner notifications stored whose work is not done yet (not handed to Temporal, or not confirmed), by partner',
    (partner) => store.notificationsPending(partner),
  );
  byPartner(
    'partner_inbox_dead_letters',
    'Partner notifications given up (listed at GET /v1/partner-notifications/dead-letters), by partner',
    (partner) => store.notificationsDeadLettered(partner),
  );
  // From the newest report in the store, not from the worker that ran it: right with any number of workers.
  new Gauge({
    name: 'loyalty_reconciliation_mismatches',
    help: 'Members and redemptions whose ledger did not reconcile in the latest reconciliation run',
    registers: [registry],
    collect: fromStore(async (gauge) => {
      const latest = await store.latestReconciliation();
      if (latest) gauge.set(latest.mismatch_count);
      else gauge.reset();
    }),
  });
  new Gauge({
    name: 'loyalty_reconciliation_stuck_redemptions',
    help: 'Redemptions the latest reconciliation run found stuck in a state their workflow should have left, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect: fromStore(async (gauge) => {
      const latest = await store.latestReconciliation();
      gauge.reset();
      if (latest) for (const reason of STUCK_REASONS) gauge.set({ reason }, latest.stuck_by_reason?.[reason] ?? 0);
    }),
  });
  new Gauge({
    name: 'loyalty_reconciliation_last_run_timestamp_seconds',
    help: 'When the latest reconciliation run finished (Unix time)',
    registers: [registry],
    collect: fromStore(async (gauge) => {
      const latest = await store.latestReconciliation();
      if (latest) gauge.set(latest.finished_at.getTime() / 1000);
      else gauge.reset();
    }),
  });

  const observeRequests: RequestHandler = (req, res, next) => {
    const stop = httpDuration.startTimer();
    res.on('finish', () => {
      // The matched route pattern keeps label cardinality bounded; unmatched paths share one label.
      const route = (req.route?.path as string | undefined) ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };

  return { registry, observeRequests, redemptionOutcomes, ledgerContentionRetries };
}

export type Metrics = ReturnType<typeof createMetrics>;
