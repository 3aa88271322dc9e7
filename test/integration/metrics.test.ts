import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createMetrics } from '../../api/metrics';
import { WAITING_STATUSES } from '../../domain/states';
import { GaugeReadings } from '../../application/gauge-readings';
import { freePort } from '../../scripts/servers';
import { stopChild } from '../../scripts/processes';
import { Ledger } from '../../store/ledger';
import { PartnerNotifications } from '../../store/partner-notifications';
import { RedemptionGauges } from '../../store/redemption-gauges';
import { installTemporalRuntime } from '../../application/temporal-runtime';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { TEST_METRICS_TOKEN, hasSeries, sampleSum, scrape } from '../harness/prometheus';
import { TEST_API_KEY, readJson, startTestStack, uniqueName, type TestStack } from '../harness/stack';
import { startStubPartner, type StubPartner } from '../harness/stub-partner';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('metrics', () => {
  let stack: TestStack;
  let partner: StubPartner;
  let workerMetricsUrl: string;
  const apiMetrics = () => scrape(`${stack.api.url}/metrics`);
  const workerMetrics = () => scrape(workerMetricsUrl);

  beforeAll(async () => {
    // The runtime of this test process serves metrics on a free port, so suites running side by side never collide.
    const port = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
    installTemporalRuntime({ logLevel: 'ERROR', metricsAddress: `127.0.0.1:${port}` });
    partner = await startStubPartner();
    stack = await startTestStack({
      env: {
        FLAVOURS_REDEEM_URL: partner.redeemUrl,
        PARTNER_REDEEM_DEADLINE_MS: '4000',
        PARTNER_CALL_TIMEOUT_MS: '1000',
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await partner?.close();
  });

  const redeem = (body: Record<string, unknown>) =>
    stack.api.request('/v1/redemptions', { method: 'POST', json: body });

  /** Moves a member's newest-entry hint one entry back, as a writer that crashed before moving it would leave it. */
  async function leaveHintBehind(memberId: string) {
    const head = await stack.mongo.db
      .collection<{ _id: string; seq: number }>('ledger_heads')
      .findOne({ _id: memberId });
    const previous = await stack.mongo.db
      .collection<{ _id: string; balance_after: number; held_after: number }>('ledger')
      .findOne({ _id: `${memberId}/${head!.seq - 1}` });
    await stack.mongo.db
      .collection<{ _id: string }>('ledger_heads')
      .replaceOne(
        { _id: memberId },
        { seq: head!.seq - 1, balance_after: previous!.balance_after, held_after: previous!.held_after },
      );
  }

  it('the worker answers on its metrics address with the Temporal SDK’s temporal_ series', async () => {
    await expect.poll(workerMetrics, { timeout: 20_000, interval: 500 }).toMatch(/^temporal_\w+/m);
  });

  it('counts partner calls with their latency, and finished redemptions by status and partner, on the worker', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 150);
    const option = await createOption(stack.mongo.db, { partner: 'flavours' });
    const before = await workerMetrics();
    const count = (text: string, name: string, labels: Record<string, string>) => sampleSum(text, name, labels);

    const completed = await redeem({ customer_email: member.email, redemption_option_id: option.id });
    expect((await readJson(completed)).status).toBe('completed');
    const rejected = await redeem({ customer_email: member.email, redemption_option_id: option.id });
    expect(rejected.status).toBe(422);

    const accepted = { partner: 'flavours', outcome: 'accepted' };
    await expect
      .poll(async () => {
        const after = await workerMetrics();
        return {
          calls:
            count(after, 'redemption_partner_calls_total', accepted) -
            count(before, 'redemption_partner_calls_total', accepted),
          timed:
            count(after, 'redemption_partner_call_duration_seconds_count', accepted) -
            count(before, 'redemption_partner_call_duration_seconds_count', accepted),
          completed:
            count(after, 'redemptions_finished_total', { status: 'completed', partner: 'flavours' }) -
            count(before, 'redemptions_finished_total', { status: 'completed', partner: 'flavours' }),
          rejected:
            count(after, 'redemptions_finished_total', { status: 'rejected' }) -
            count(before, 'redemptions_finished_total', { status: 'rejected' }),
        };
      })
      .toEqual({ calls: 1, timed: 1, completed: 1, rejected: 1 });
    const after = await workerMetrics();
    expect(hasSeries(after, 'redemption_partner_call_duration_seconds_bucket', { le: '0.25' })).toBe(true);
  });

  it('shows the points held and the redemptions waiting, by status, while a delayed redemption awaits its order', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db, { cost_points: 120 });
    const before = await apiMetrics();
    for (const status of WAITING_STATUSES) expect(hasSeries(before, 'redemptions_waiting', { status })).toBe(true);

    const res = await redeem({
      customer_email: member.email,
      redemption_option_id: option.id,
      delay_points_deduction: true,
    });
    const delayed = await readJson(res);
    expect(delayed.status).toBe('awaiting_order');
    // The steps' changes reach the counters within a second.
    await expect
      .poll(async () => sampleSum(await apiMetrics(), 'points_held_outstanding'))
      .toBe(sampleSum(before, 'points_held_outstanding') + 120);
    const during = await apiMetrics();
    expect(
      sampleSum(during, 'redemptions_waiting', { status: 'awaiting_order' }) -
        sampleSum(before, 'redemptions_waiting', { status: 'awaiting_order' }),
    ).toBe(1);

    expect((await stack.api.request(`/v1/redemptions/${delayed.id}/cancel`, { method: 'POST' })).status).toBe(200);
    await expect
      .poll(async () => sampleSum(await apiMetrics(), 'points_held_outstanding'))
      .toBe(sampleSum(before, 'points_held_outstanding'));
  });

  // A scrape used to read every redemption awaiting its order, on every replica: its cost grew with the waiting.
  it('reads the waiting gauges from counters that status changes move, which a recount rights', async () => {
    const before = await apiMetrics();
    const waitingOf = (text: string) => sampleSum(text, 'redemptions_waiting', { status: 'awaiting_order' });
    // Written behind the steps' back: a scrape does not read the redemptions, so it does not see them.
    const planted = Array.from({ length: 500 }, (_, index) => ({
      _id: `rdm_planted_${index}`,
      status: 'awaiting_order',
      partner: 'flavours',
      points: 10,
      created_at: new Date(),
      updated_at: new Date(),
      version: 1,
      events: [],
      event_keys: [],
    }));
    const redemptions = stack.mongo.db.collection<{ _id: string }>('redemptions');
    await redemptions.insertMany(planted);
    try {
      const unseen = await apiMetrics();
      expect(waitingOf(unseen)).toBe(waitingOf(before));
      expect(sampleSum(unseen, 'points_held_outstanding', { partner: 'flavours' })).toBe(
        sampleSum(before, 'points_held_outstanding', { partner: 'flavours' }),
      );
      // The reconciliation run's recount counts them.
      await new RedemptionGauges(stack.mongo.db).recount();
      const recounted = await apiMetrics();
      expect(waitingOf(recounted) - waitingOf(before)).toBe(500);
      expect(
        sampleSum(recounted, 'points_held_outstanding', { partner: 'flavours' }) -
          sampleSum(before, 'points_held_outstanding', { partner: 'flavours' }),
      ).toBe(5_000);
    } finally {
      await redemptions.deleteMany({ _id: { $in: planted.map((redemption) => redemption._id) } });
      await new RedemptionGauges(stack.mongo.db).recount();
    }
    expect(waitingOf(await apiMetrics())).toBe(waitingOf(before));
  });

  it('counts ledger appends that lost the race for the next entry, in the API and in the worker', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const option = await createOption(stack.mongo.db, { cost_points: 100 });
    await new Ledger(stack.mongo.db).append({
      memberId: member._id,
      type: 'EARN',
      points: 10,
      idempotencyKey: `${member._id}:more`,
    });
    const [apiBefore, workerBefore] = await Promise.all([apiMetrics(), workerMetrics()]);

    await leaveHintBehind(member._id);
    const earned = await stack.api.request(`/v1/members/${member._id}/points`, {
      method: 'POST',
      json: { points: 5, reason: 'goodwill', idempotency_key: 'metrics-race' },
    });
    expect(earned.status).toBe(201);
    expect(
      sampleSum(await apiMetrics(), 'ledger_contention_retries_total', { process: 'api' }) -
        sampleSum(apiBefore, 'ledger_contention_retries_total', { process: 'api' }),
    ).toBe(1);

    await leaveHintBehind(member._id);
    expect(
      (await readJson(await redeem({ customer_email: member.email, redemption_option_id: option.id }))).status,
    ).toBe('completed');
    await expect
      .poll(
        async () =>
          sampleSum(await workerMetrics(), 'ledger_contention_retries_total', { process: 'worker' }) -
          sampleSum(workerBefore, 'ledger_contention_retries_total', { process: 'worker' }),
      )
      .toBe(1);
  });

  it('shows the partner inbox backlog until a stored notification is handed on', async () => {
    const notifications = new PartnerNotifications(stack.mongo.db);
    const backlog = async () => sampleSum(await apiMetrics(), 'partner_inbox_backlog', { partner: 'deliverect' });
    const before = await backlog();
    await notifications.record({
      _id: 'deliverect:order:M-1',
      partner: 'deliverect',
      kind: 'order',
      raw: '{}',
      order_id: 'M-1',
      redemption_ids: [],
    });
    expect(await backlog()).toBe(before + 1);
    await notifications.markDone('deliverect:order:M-1');
    expect(await backlog()).toBe(before);
  });

  it('exposes every series the Grafana dashboard charts, on the API or the worker, once redemptions have run', async () => {
    const dashboard = JSON.parse(
      readFileSync(new URL('../../deploy/grafana/dashboards/redemptions.json', import.meta.url), 'utf8'),
    ) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    // The metric names of an expression: what is left once grouping labels, matchers and ranges are taken out,
    // less the functions.
    const seriesOf = (expr: string) =>
      [
        ...expr
          .replace(/\bby\s*\([^)]*\)/g, '')
          .replace(/\{[^}]*\}/g, '')
          .replace(/\[[^\]]*\]/g, '')
          .matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g),
      ]
        .map(([, name]) => name!)
        .filter((name) => name.includes('_'));
    const charted = new Set(dashboard.panels.flatMap((panel) => panel.targets.flatMap(({ expr }) => seriesOf(expr))));
    expect(charted.size).toBeGreaterThan(10);
    const exposed = `${await apiMetrics()}\n${await workerMetrics()}`;
    expect([...charted].filter((name) => !hasSeries(exposed, name))).toEqual([]);
  });

  it('keeps answering /metrics while the store cannot be read, without the store gauges', async () => {
    const unreachable = new MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 300 });
    try {
      const text = await createMetrics(new GaugeReadings(unreachable.db('loyalty'))).registry.metrics();
      expect(hasSeries(text, 'process_cpu_user_seconds_total')).toBe(true);
      for (const name of ['points_held_outstanding', 'redemptions_waiting', 'partner_inbox_backlog']) {
        expect(hasSeries(text, name), name).toBe(false);
      }
    } finally {
      await unreachable.close();
    }
  });

  it('npm run worker serves temporal_ series on WORKER_METRICS_ADDRESS', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH,
        TEMPORAL_ADDRESS: stack.config.temporal.address,
        TEMPORAL_TASK_QUEUE: `${stack.config.temporal.taskQueue}-own-process`,
        MONGODB_URI: stack.config.mongo.uri,
        MONGODB_DB: stack.config.mongo.db,
        WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
        WORKER_METRICS_ADDRESS: `127.0.0.1:${port}`,
      },
      stdio: 'ignore',
    });
    try {
      await expect
        .poll(() => scrape(`http://127.0.0.1:${port}/metrics`).catch(() => ''), { timeout: 45_000, interval: 500 })
        .toMatch(/^temporal_\w+/m);
    } finally {
      await stopChild(child);
    }
  });

  it('npm start serves the worker’s temporal_ series on WORKER_METRICS_ADDRESS beside the API’s /metrics', async () => {
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    const database = uniqueName('start').replace(/-/g, '_');
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH,
        TEMPORAL_ADDRESS: stack.config.temporal.address,
        TEMPORAL_TASK_QUEUE: uniqueName('start'),
        MONGODB_URI: stack.config.mongo.uri,
        MONGODB_DB: database,
        API_KEYS: TEST_API_KEY,
        METRICS_TOKEN: TEST_METRICS_TOKEN,
        PORT: String(apiPort),
        WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await expect
        .poll(() => output, { timeout: 60_000, interval: 500 })
        .toContain('Redemption orchestrator is running');
      expect(output).toContain(`http://127.0.0.1:${metricsPort}/metrics (worker)`);
      expect(await scrape(`http://127.0.0.1:${metricsPort}/metrics`)).toMatch(/^temporal_\w+/m);
      expect(hasSeries(await scrape(`http://127.0.0.1:${apiPort}/metrics`), 'redemptions_waiting')).toBe(true);
    } finally {
      await stopChild(child);
      await stack.mongo.client.db(database).dropDatabase();
    }
  });

  it('refuses to start a worker whose metrics address is taken, naming WORKER_METRICS_ADDRESS', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
        cwd: projectRoot,
        env: {
          PATH: process.env.PATH,
          TEMPORAL_ADDRESS: stack.config.temporal.address,
          MONGODB_URI: stack.config.mongo.uri,
          WORKER_METRICS_ADDRESS: `127.0.0.1:${port}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).not.toBe(0);
      expect(output).toContain(`WORKER_METRICS_ADDRESS: cannot serve metrics on 127.0.0.1:${port}`);
    } finally {
      taken.close();
    }
  });
});
