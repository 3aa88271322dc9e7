/**
 * The production topology (`npm run start:cluster`) as users run it: a Temporal cluster of separate services, two API
 * replicas and two workers. Clients redeem through both replicas while one history process, the matching service, a
 * worker and an API replica are SIGKILLed one after the other; the supervisor must bring each back, and nothing that
 * must hold may break.
 */
import { Client, Connection } from '@temporalio/client';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortOpen } from '../../scripts/processes';
import { frontendAddress } from '../../scripts/temporal-cluster';
import { defaultPayloadConverter } from '@temporalio/common';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { workflowIdOf } from '../../application/redemption-ids';
import { clusterBundlePath } from '../../scripts/cluster-layout';
import { rollWorkers } from '../../scripts/roll-workers';
import {
  checkAfterwards,
  Invariants,
  KINDS,
  mulberry32,
  sleep,
  travel,
  untilAnswered,
  type Journey,
  type Travellers,
} from '../chaos/journeys';
import { writePreviousReleaseBundles } from '../harness/previous-release/bundle';
import { isAlive, startCluster, stopCluster, type Cluster } from '../harness/cluster';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { startStubPartner, type StubPartner } from '../harness/stub-partner';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const CLIENT = 'cluster-till';
const API_KEY = 'cluster-api-key';
const REDEMPTIONS = 60;
const CONCURRENCY = 8;

/** Members with points, the options of every journey, and a client that sends each request to the next API replica. */
async function travellersOn(db: Db, ports: Cluster['ports']): Promise<Travellers> {
  const members = await Promise.all(Array.from({ length: REDEMPTIONS / 4 }, () => createMemberWithPoints(db, 10_000)));
  const options = {
    partner: await createOption(db, { name: 'Partner reward', partner: 'flavours', cost_points: 100 }),
    plain: await createOption(db, { name: 'Coupon', cost_points: 100 }),
    shortLived: await createOption(db, { name: 'Short-lived coupon', cost_points: 100, coupon_ttl_seconds: 10 }),
  };
  let request = 0;
  return {
    client: CLIENT,
    apiKey: API_KEY,
    // Each request goes to the next replica, as a load balancer would send it.
    apiUrl: () => `http://127.0.0.1:${ports.api[request++ % ports.api.length]}`,
    members,
    options,
  };
}

/** CONCURRENCY clients travelling one journey after another while `busy()`, and at least REDEMPTIONS journeys in all. */
async function travelWhile(busy: () => boolean, travellers: Travellers, keyPrefix: string): Promise<Journey[]> {
  const journeys: Journey[] = [];
  const lane = async () => {
    while (busy() || journeys.length < REDEMPTIONS) {
      const index = journeys.length;
      journeys.push({
        kind: KINDS[index % KINDS.length]!,
        key: `${keyPrefix}-${index}`,
        answers: [],
        contradictions: [],
      });
      await travel(journeys[index]!, index, travellers).catch((error: unknown) => {
        journeys[index]!.contradictions.push(`no answer: ${(error as Error).message}`);
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return journeys;
}

/** What a redemption's workflow history shows of the code that ran it. */
async function workflowTrail(client: Client, redemptionId: string) {
  const events = (await client.workflow.getHandle(workflowIdOf(redemptionId)).fetchHistory()).events ?? [];
  const markers = events.flatMap((event) =>
    event.markerRecordedEventAttributes ? [event.markerRecordedEventAttributes] : [],
  );
  return {
    patches: markers
      .filter((marker) => marker.markerName === 'core_patch')
      .map(
        (marker) =>
          defaultPayloadConverter.fromPayload<{ id: string }>(marker.details!['patch-data']!.payloads![0]!).id,
      ),
    storeSteps: markers.filter((marker) => marker.markerName === 'core_local_activity').length,
    failedTasks: events.filter((event) => event.workflowTaskFailedEventAttributes).length,
  };
}

/** `npm run cluster:deploy-workers`, as an operator runs it against this cluster. */
function deployWorkers(cluster: Cluster): Promise<string> {
  const child = spawn('npm', ['run', '--silent', 'cluster:deploy-workers'], {
    cwd: projectRoot,
    env: { ...process.env, CLUSTER_DATA_DIR: cluster.dir },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`cluster:deploy-workers exited with ${code}:\n${output}`)),
    ),
  );
}

describe('the production topology', () => {
  let cluster: Cluster;
  let partner: StubPartner;
  const fulfilled = new Set<string>();

  beforeAll(async () => {
    const random = mulberry32(Date.now() % 100_000);
    partner = await startStubPartner();
    // Flaky, and idempotent by Idempotency-Key like a real partner.
    partner.setDefault((call) => {
      const key = String(call.headers['idempotency-key']);
      if (fulfilled.has(key)) return { status: 200, body: { replayed: true } };
      if (random() < 0.2) return { status: 500, body: { message: 'try again' } };
      fulfilled.add(key);
      return { status: 200, body: {} };
    });
    cluster = await startCluster({
      API_KEYS: `${CLIENT}:${API_KEY}`,
      FLAVOURS_REDEEM_URL: partner.redeemUrl,
      FLAVOURS_OUTBOUND_SECRET: 'cluster-outbound-secret',
      PARTNER_CALL_TIMEOUT_MS: '2000',
      PARTNER_REDEEM_DEADLINE_MS: '30000',
      PARTNER_RECONCILE_LIMIT_MS: '60000',
      REDEMPTION_SYNC_WAIT_MS: '5000',
      RECONCILE_SCHEDULE: 'off',
      // Its runs would count as workflows left running when the checks look.
      POINTS_EXPIRY_INTERVAL_SECONDS: 'off',
    });
  }, 360_000);

  afterAll(async () => {
    if (cluster) expect(await stopCluster(cluster), 'processes left running after Ctrl-C').toEqual([]);
    await partner?.close();
  }, 120_000);

  it('answers every redemption once and keeps every balance while a history process, matching, a worker and an API replica are killed', async () => {
    const { ports } = cluster;
    const store = await MongoClient.connect(`mongodb://127.0.0.1:${ports.store}`, { ignoreUndefined: true });
    const connection = await Connection.connect({ address: frontendAddress(ports.temporal) });
    try {
      const db = store.db('loyalty');
      const travellers = await travellersOn(db, cluster.ports);

      // One kill after another, while the clients travel; each victim must be back before the next.
      const victims = ['temporal-history-1', 'temporal-matching', 'worker-1', 'api-1'];
      const killed: Record<string, number> = {};
      let killing = true;
      const kills = (async () => {
        for (const name of victims) {
          await sleep(4_000);
          const pid = cluster.pids()[name]!;
          killed[name] = pid;
          process.kill(pid, 'SIGKILL');
          const back = Date.now() + 60_000;
          while (cluster.pids()[name] === pid && Date.now() < back) await sleep(200);
        }
        await sleep(4_000);
        killing = false;
      })();
      // The clients keep coming until the last victim is back, and make at least REDEMPTIONS redemptions.
      const [, journeys] = await Promise.all([kills, travelWhile(() => killing, travellers, 'cluster')]);

      const invariants = new Invariants();
      const client = new Client({ connection });
      await checkAfterwards(invariants, { db, client, journeys, travellers, fulfilled });

      const pids = cluster.pids();
      const readiness: Record<string, number> = {
        'temporal-history-1': ports.temporal.history[0].membership,
        'temporal-matching': ports.temporal.matching.membership,
        'worker-1': ports.workerMetrics[0],
        'api-1': ports.api[0],
      };
      for (const name of victims) {
        const restarted = pids[name] !== killed[name] && isAlive(pids[name]!);
        invariants.check('every killed process is back', restarted && (await isPortOpen(readiness[name]!)), () => name);
      }
      const ready = await fetch(`http://127.0.0.1:${ports.api[0]}/readyz`);
      invariants.check('the restarted API replica is ready', ready.status === 200, () => `/readyz ${ready.status}`);
      for (const name of victims) {
        expect(cluster.output(), `the supervisor logs ${name}'s restart`).toContain(
          `[supervisor] ${name} killed by SIGKILL; starting it again`,
        );
      }
      console.log('[cluster]', journeys.length, 'redemptions;', JSON.stringify(invariants.checked));
      expect(invariants.violations).toEqual([]);
      expect(Object.keys(killed)).toEqual(victims);
    } finally {
      await connection.close();
      await store.close();
    }
  }, 600_000);

  it('ships a change to the workflows by a rolling deploy of the workers: what the release before started replays and finishes on the new code', async () => {
    const { ports } = cluster;
    const store = await MongoClient.connect(`mongodb://127.0.0.1:${ports.store}`, { ignoreUndefined: true });
    const connection = await Connection.connect({ address: frontendAddress(ports.temporal) });
    try {
      const db = store.db('loyalty');
      const client = new Client({ connection });
      const travellers = await travellersOn(db, ports);
      const { email } = travellers.members[0]!;
      const redeem = (key: string, delayed: boolean) =>
        untilAnswered(() => `${travellers.apiUrl()}/v1/redemptions`, {
          method: 'POST',
          apiKey: API_KEY,
          key,
          body: {
            customer_email: email,
            redemption_option_id: travellers.options.plain.id,
            delay_points_deduction: delayed,
          },
        });

      // The cluster runs the release before the patch 'complete-with-points', which completed a redemption without a
      // partner in a store step of its own.
      await writePreviousReleaseBundles(clusterBundlePath(cluster.dir));
      await rollWorkers(cluster.dir, () => undefined);
      const before = await redeem('deploy-before-immediate', false);
      const waiting = await redeem('deploy-before-delayed', true);
      expect([before.status, before.body.status]).toEqual([201, 'completed']);
      expect([waiting.status, waiting.body.status]).toEqual([201, 'awaiting_order']);

      // The current code ships worker by worker while the clients keep coming.
      let deploying = true;
      const [deployed, journeys] = await Promise.all([
        deployWorkers(cluster).finally(() => (deploying = false)),
        travelWhile(() => deploying, travellers, 'deploy'),
      ]);
      expect(deployed).toContain('Every worker runs the new code.');

      const order = await untilAnswered(() => `${travellers.apiUrl()}/v1/orders`, {
        method: 'POST',
        apiKey: API_KEY,
        body: { order_id: 'deploy-order', coupon_code: waiting.body.coupon_code },
      });
      expect([order.status, order.body.redemptions?.[0]?.status]).toEqual([200, 'completed']);
      const after = await redeem('deploy-after-immediate', false);
      expect([after.status, after.body.status]).toEqual([201, 'completed']);

      const previous = await workflowTrail(client, before.body.id);
      const current = await workflowTrail(client, after.body.id);
      const captured = await workflowTrail(client, waiting.body.id);
      // The release before took the old branches (three store steps); the new code begins with the points, in one.
      expect(previous.patches).toEqual([]);
      expect(current.patches).toEqual(['begin-with-points']);
      expect([previous.storeSteps, current.storeSteps]).toEqual([3, 1]);
      // The held redemption, started on the release before, replayed on the new code (its worker had never seen it)
      // without a failed workflow task, and its capture, decided on the new code, took the patched branch.
      expect(captured.patches).toEqual(['complete-with-points']);
      expect([previous.failedTasks, captured.failedTasks, current.failedTasks]).toEqual([0, 0, 0]);

      const invariants = new Invariants();
      await checkAfterwards(invariants, { db, client, journeys, travellers, fulfilled });
      console.log('[cluster deploy]', journeys.length, 'redemptions;', JSON.stringify(invariants.checked));
      expect(invariants.violations).toEqual([]);
    } finally {
      await connection.close();
      await store.close();
    }
  }, 600_000);
});
