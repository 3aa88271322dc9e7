/**
 * Every process recovers by itself once the store is back, and no redemption fails because the store was down. Under
 * load, the store is killed twice within seconds, then its PostgreSQL: the API answers 503 (never 500) meanwhile, is
 * ready again within seconds of the store, and the worker finishes every redemption. Then the store stays down longer
 * than any timeout of the saga: every redemption waits for it, says so in the Temporal UI, and ends as it should.
 */
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/processes';
import type { SupervisedProcess } from '../../scripts/supervisor';
import { ensureIndexes } from '../../store/indexes';
import { sleep, untilAnswered } from '../chaos/journeys';
import { createMemberWithPoints, createOption, foldLedger } from '../harness/fixtures';
import { sampleSum, scrape } from '../harness/prometheus';
import { productProcess } from '../harness/product-process';
import { fulfilledByStub, startStubPartner, type StubPartner } from '../harness/stub-partner';
import { startSupervisedStore, type SupervisedStore } from '../harness/supervised-store';

const API_KEY = 'restarts-key';
const DB_NAME = 'restarts';
/** How soon after the store is back the API must be ready again. */
const READY_WITHIN_MS = 10_000;
/** Longer than a store step's round of retries (10 s) and, in this test, than the partner's deadlines. */
const OUTAGE_MS = 30_000;

describe('the store restarted twice within seconds, then its PostgreSQL, under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-restarts-'));
  const processes: SupervisedProcess[] = [];
  let stack: SupervisedStore | undefined;
  let postgres: SupervisedProcess;
  let store: SupervisedProcess;
  let apiUrl: string;
  let client: MongoClient;
  let partner: StubPartner;
  let taskQueue: string;
  let workerMetrics: string;
  let temporal: Client;

  const supervise = async (process: SupervisedProcess) => {
    processes.push(process);
    await process.start();
    return process;
  };

  beforeAll(async () => {
    stack = await startSupervisedStore(dir);
    ({ postgres, store } = stack);
    client = await MongoClient.connect(stack.uri, { serverSelectionTimeoutMS: 2_000 });
    await ensureIndexes(client.db(DB_NAME), stack.postgresUrl);
    const apiPort = await freePort();
    taskQueue = `restarts-${apiPort}`;
    apiUrl = `http://127.0.0.1:${apiPort}`;
    partner = await startStubPartner();
    const metricsPort = await freePort();
    workerMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
    temporal = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    const env = {
      ...fulfilledByStub(partner, {
        PARTNER_CALL_TIMEOUT_MS: '5000',
        PARTNER_REDEEM_DEADLINE_MS: String(OUTAGE_MS / 2),
        PARTNER_RECONCILE_LIMIT_MS: String(OUTAGE_MS / 2),
      }),
      API_KEYS: `till:${API_KEY}`,
      PORT: String(apiPort),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      MONGODB_URI: stack.uri,
      MONGODB_DB: DB_NAME,
      FERRETDB_POSTGRESQL_URL: stack.postgresUrl,
      WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      RECONCILE_SCHEDULE: 'off',
      POINTS_EXPIRY_INTERVAL_SECONDS: 'off',
      REDEMPTION_SYNC_WAIT_MS: '5000',
    };
    for (const role of ['worker', 'api'] as const) await supervise(productProcess(role, { dir, env }));
  }, 180_000);

  afterAll(async () => {
    await temporal?.connection.close();
    await partner?.close();
    await client?.close();
    for (const process of processes.reverse()) await process.stop();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** How long after `since` the API said it was ready. */
  async function readyAfter(since: number): Promise<number> {
    for (;;) {
      const res = await fetch(`${apiUrl}/readyz`).catch(() => undefined);
      if (res?.status === 200) return Date.now() - since;
      if (Date.now() - since > 120_000) throw new Error('the API was not ready 120 s after the store came back');
      await sleep(200);
    }
  }

  /**
   * Waits until readiness answers 503, or fails after `timeoutMs` saying what it answered instead and how the API's
   * log ends (the log folder is removed after the suite).
   */
  async function notReadyWithin(timeoutMs: number): Promise<void> {
    const since = Date.now();
    const answered = new Map<string, number>();
    for (;;) {
      const answer = await fetch(`${apiUrl}/readyz`).then(
        (res) => String(res.status),
        (error: unknown) => `no answer (${(error as Error).cause ?? error})`,
      );
      if (answer === '503') return;
      answered.set(answer, (answered.get(answer) ?? 0) + 1);
      if (Date.now() - since > timeoutMs) {
        const log = readFileSync(join(dir, 'api.log'), 'utf8').trimEnd().split('\n').slice(-30).join('\n');
        throw new Error(
          `readiness did not answer 503 within ${timeoutMs} ms; it answered ${JSON.stringify(Object.fromEntries(answered))}. ` +
            `The API's log ends:\n${log}`,
        );
      }
      await sleep(100);
    }
  }

  it('answers 503 while the store is down, is ready within seconds after each outage, and completes every redemption', async () => {
    const db = client.db(DB_NAME);
    const option = await createOption(db, { cost_points: 10 });
    const members = await Promise.all(Array.from({ length: 20 }, () => createMemberWithPoints(db, 10_000)));
    const answers: number[] = [];
    let sending = true;
    const till = async (index: number) => {
      for (let n = 0; sending; n++) {
        const answer = await untilAnswered(
          `${apiUrl}/v1/redemptions`,
          {
            method: 'POST',
            apiKey: API_KEY,
            key: `restarts-${index}-${n}`,
            body: { customer_email: members[index]!.email, redemption_option_id: option.id },
          },
          300_000,
        );
        answers.push(answer.status);
      }
    };
    const tills = Array.from({ length: members.length }, (_, index) => till(index));
    // What readiness answers throughout the outages: the tills' requests may all fall between them.
    const readiness: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const res = await fetch(`${apiUrl}/readyz`).catch(() => undefined);
        if (res) readiness.push(res.status);
        await sleep(100);
      }
    })();
    await sleep(3_000);

    await store.kill(300);
    await sleep(1_500);
    await store.kill(300);
    const storeBack = Date.now();
    const afterStore = await readyAfter(storeBack);

    // PostgreSQL stays down for 2 s and until readiness has said so (the store's restarts above may be too short to
    // be seen).
    await postgres.kill(() => Promise.all([sleep(2_000), notReadyWithin(20_000)]));
    const postgresBack = Date.now();
    const afterPostgres = await readyAfter(postgresBack);

    probing = false;
    await probe;
    await sleep(3_000);
    sending = false;
    await Promise.all(tills);

    expect(afterStore, 'ms until ready after the store came back').toBeLessThan(READY_WITHIN_MS);
    expect(afterPostgres, 'ms until ready after its PostgreSQL came back').toBeLessThan(READY_WITHIN_MS);
    expect(answers.length).toBeGreaterThan(50);
    expect(new Set(answers)).toEqual(new Set([201]));
    const served500 = readFileSync(join(dir, 'api.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"statusCode":500'));
    expect(served500, 'answers of 500').toEqual([]);
    expect(
      [...new Set(readiness)].filter((status) => status !== 200 && status !== 503),
      'readiness',
    ).toEqual([]);
  }, 600_000);

  it('keeps every redemption waiting through a store outage longer than every timeout, then finishes each as it should', async () => {
    const db = client.db(DB_NAME);
    const option = await createOption(db, { cost_points: 10, partner: 'flavours' });
    const members = await Promise.all(Array.from({ length: 10 }, () => createMemberWithPoints(db, 1_000)));
    // The partner takes a while, so that the store goes down while the partner is called.
    partner.setDefault({ status: 200, body: {}, delayMs: 2_000 });
    const redeem = (index: number) =>
      untilAnswered(
        `${apiUrl}/v1/redemptions`,
        {
          method: 'POST',
          apiKey: API_KEY,
          key: `outage-${index}`,
          body: { customer_email: members[index]!.email, redemption_option_id: option.id },
        },
        300_000,
      );
    const redemptions = members.map((_, index) => redeem(index));
    await partner.waitForCalls(members.length - 5, 20_000);
    const outage = store.kill(OUTAGE_MS);

    // Meanwhile a waiting redemption says so, in its current details in the Temporal UI.
    let shown = '';
    for (let poll = 0; poll < 60 && !shown.includes('Waiting for the store'); poll++) {
      const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
      for await (const execution of temporal.workflow.list({ query })) {
        const handle = temporal.workflow.getHandle(execution.workflowId);
        const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
        if (metadata.currentDetails?.includes('Waiting for the store')) shown = metadata.currentDetails;
      }
      if (!shown) await sleep(1_000);
    }
    expect(shown).toMatch(/Waiting for the store\*\* since \S+, attempt \d+/);
    await outage;

    const answers = await Promise.all(redemptions);
    expect(answers.map((answer) => answer.status)).toEqual(members.map(() => 201));
    for (const id of answers.map((answer) => answer.body.id as string)) {
      let status = '';
      for (let poll = 0; poll < 120 && status !== 'completed'; poll++) {
        const view = await untilAnswered(`${apiUrl}/v1/redemptions/${id}`, { method: 'GET', apiKey: API_KEY });
        status = view.body.status;
        if (status !== 'completed') await sleep(500);
      }
      expect(status, id).toBe('completed');
    }
    const failed = await temporal.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Failed"`);
    expect(failed.count).toBe(0);
    for (const member of members) {
      expect(await foldLedger(db, member._id)).toMatchObject({ points_balance: 990, points_held: 0 });
    }
    expect(sampleSum(await scrape(workerMetrics), 'redemption_store_step_waits_total')).toBeGreaterThan(0);
  }, 300_000);
});
