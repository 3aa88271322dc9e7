/**
 * The production topology (`npm run start:cluster`) as users run it: a Temporal cluster of separate services, two API
 * replicas and two workers. Clients redeem through both replicas while one history process, the matching service, a
 * worker and an API replica are SIGKILLed one after the other; the supervisor must bring each back, and nothing that
 * must hold may break.
 */
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortOpen } from '../../scripts/processes';
import { frontendAddress } from '../../scripts/temporal-cluster';
import { checkAfterwards, Invariants, KINDS, mulberry32, sleep, travel, type Journey } from '../chaos/journeys';
import { isAlive, startCluster, stopCluster, type Cluster } from '../harness/cluster';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { startStubPartner, type StubPartner } from '../harness/stub-partner';

const CLIENT = 'cluster-till';
const API_KEY = 'cluster-api-key';
const REDEMPTIONS = 60;
const CONCURRENCY = 8;

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
      const members = await Promise.all(
        Array.from({ length: REDEMPTIONS / 4 }, () => createMemberWithPoints(db, 10_000)),
      );
      const options = {
        partner: await createOption(db, { name: 'Partner reward', partner: 'flavours', cost_points: 100 }),
        plain: await createOption(db, { name: 'Coupon', cost_points: 100 }),
        shortLived: await createOption(db, { name: 'Short-lived coupon', cost_points: 100, coupon_ttl_seconds: 10 }),
      };
      let request = 0;
      const travellers = {
        client: CLIENT,
        apiKey: API_KEY,
        // Each request goes to the next replica, as a load balancer would send it.
        apiUrl: () => `http://127.0.0.1:${ports.api[request++ % ports.api.length]}`,
        members,
        options,
      };
      const journeys: Journey[] = [];

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
      const lane = async () => {
        while (killing || journeys.length < REDEMPTIONS) {
          const index = journeys.length;
          journeys.push({
            kind: KINDS[index % KINDS.length]!,
            key: `cluster-${index}`,
            answers: [],
            contradictions: [],
          });
          await travel(journeys[index]!, index, travellers).catch((error: unknown) => {
            journeys[index]!.contradictions.push(`no answer: ${(error as Error).message}`);
          });
        }
      };
      await Promise.all([kills, ...Array.from({ length: CONCURRENCY }, lane)]);

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
});
