/**
 * The store under both of its behaviours (store/dialect.ts): FerretDB's, with writes to a document queued in the
 * process and report ranges and replay windows read a day at a time, and MongoDB's, with writes straight to the server
 * and one index range.
 * Only FerretDB runs here, so MongoDB's behaviour runs against it too: everything but its concurrency (MongoDB's
 * atomic updates, which FerretDB does not have) is the same code on the same data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedemptionSteps } from '../../activities/redemption-steps';
import type { CreateRedemptionRequest } from '../../domain/redemption';
import type { MongoHandle } from '../../store/connect';
import { FERRETDB, MONGODB, detectDialect, dialectOf, useDialect, type StoreDialect } from '../../store/dialect';
import { RedemptionHistory } from '../../store/redemption-history';
import { RedemptionReportReads } from '../../store/redemption-report';
import { Redemptions } from '../../store/redemptions';
import { WebhookHistory } from '../../store/webhook-history';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { connectTestMongo, testConfig, uniqueName } from '../harness/stack';

describe('the store', () => {
  let mongo: MongoHandle;

  beforeAll(async () => {
    mongo = await connectTestMongo(testConfig());
  });
  afterAll(async () => {
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.client.close();
  });

  it('knows the server it connected to', async () => {
    expect(dialectOf(mongo.db).server).toBe('ferretdb');
    expect((await detectDialect(mongo.db)).server).toBe('ferretdb');
  });

  describe.each<[string, StoreDialect]>([
    ['FerretDB', FERRETDB],
    ['MongoDB', MONGODB],
  ])("with %s's behaviour", (_name, dialect) => {
    beforeAll(() => useDialect(mongo.db, dialect));
    afterAll(() => useDialect(mongo.db, FERRETDB));

    it('runs a redemption through its steps, each once however often it runs, and audits it in order', async () => {
      const steps = createRedemptionSteps(mongo.db);
      // Each step twice: at once under FerretDB's behaviour, whose queue orders them; one after the other under
      // MongoDB's, whose concurrency is MongoDB's atomic updates, which FerretDB here does not have.
      const twice = async <T>(step: () => Promise<T>): Promise<[T, T]> =>
        dialect === FERRETDB ? Promise.all([step(), step()]) : [await step(), await step()];
      const member = await createMemberWithPoints(mongo.db, 500);
      const option = await createOption(mongo.db);
      const redemptionId = uniqueName('rdm');
      const request: CreateRedemptionRequest = {
        customer_email: member.email!,
        redemption_option_id: option.id,
        delay_points_deduction: false,
      };
      const begin = { redemptionId, requestHash: 'hash', request };
      await twice(() => steps.beginRedemption(begin));
      const reserve = { redemptionId, version: 1, memberId: member._id, points: 100, delayed: false, changes: {} };
      const [coupon, again] = await twice(() => steps.reservePoints(reserve));
      expect(again).toBe(coupon);
      const note = { redemptionId, action: 'release' as const, note: { reason: 'audited once' } };
      await twice(() => steps.recordOperatorAction(note));
      await steps.completeRedemption({ redemptionId, version: 2 });

      const stored = (await new Redemptions(mongo.db).getWithEvents(redemptionId))!;
      expect(stored).toMatchObject({ status: 'completed', version: 2, coupon_code: coupon });
      expect(stored.events.map((event) => event.status ?? event.type)).toEqual([
        'pending',
        'ledger',
        'redeeming',
        'operator_action',
        'completed',
      ]);
    });

    it('reads the redemptions created in a range, and backfills the day key of older ones', async () => {
      const history = new RedemptionHistory(mongo.db);
      // A year of its own for each behaviour: both run on the same database.
      const year = dialect === FERRETDB ? 2025 : 2024;
      const day = (iso: string) => new Date(`${year}-${iso}`);
      const imported = ['03-01T23:59:00Z', '03-02T00:00:00Z', '03-03T12:00:00Z'].map((at, n) => ({
        document: {
          _id: uniqueName(`rdm-range-${n}`),
          request_hash: 'h',
          request: { customer_email: 'x@example.com', redemption_option_id: 1, delay_points_deduction: false },
          member_id: null,
          redemption_option_id: 1,
          points: 10 * (n + 1),
          delay_points_deduction: false,
          currency: 'SAR',
          coupon_code: null,
          status: 'completed' as const,
          reason: null,
          partner: null,
          order_id: null,
          expires_at: null,
          created_at: day(at),
          updated_at: day(at),
          version: 2,
        },
        events: [],
      }));
      await history.importMany(imported);
      const reads = new RedemptionReportReads(mongo.db);
      const points = [];
      for await (const redemption of reads.createdBetween(day('03-02T00:00:00Z'), day('03-04T00:00:00Z'))) {
        points.push(redemption.points);
      }
      expect(points.sort()).toEqual([20, 30]);
      expect(await history.backfillCreatedDay()).toBe(0);
    });

    it('reads back the events an endpoint was sent in a window, and drops the days before a cutoff', async () => {
      const history = new WebhookHistory(mongo.db);
      const endpointId = uniqueName('whe');
      const at = (iso: string) => new Date(`2025-${iso}`);
      const sent = ['03-01T23:59:00Z', '03-02T00:00:00Z', '03-03T12:00:00Z', '03-04T00:00:00Z'].map((created, n) => ({
        _id: `${endpointId}/evt_${n}`,
        endpoint_id: endpointId,
        event_id: `evt_${n}`,
        event_type: 'redemption.completed' as const,
        redemption_id: `rdm_${n}`,
        version: 2,
        body: '{}',
        created_at: at(created),
        attempts: 1,
      }));
      await history.keep(sent);
      // Kept again by a repeated round: still once.
      await history.keep(sent.slice(0, 2));
      const window = async (since: string, until: string) => {
        const ids: string[] = [];
        for await (const event of history.between(endpointId, at(since), at(until))) ids.push(event.event_id);
        return ids.sort();
      };
      expect(await window('03-02T00:00:00Z', '03-04T00:00:00Z')).toEqual(['evt_1', 'evt_2']);
      expect(await window('03-01T00:00:00Z', '03-05T00:00:00Z')).toEqual(['evt_0', 'evt_1', 'evt_2', 'evt_3']);

      // Registered on 1 March: from the day before it, up to the day of the cutoff.
      expect(await history.prune(endpointId, at('03-01T10:00:00Z'), at('03-03T06:00:00Z'))).toBe(3);
      expect(await window('03-01T00:00:00Z', '03-05T00:00:00Z')).toEqual(['evt_2', 'evt_3']);
      expect(await history.prune(endpointId, at('03-01T10:00:00Z'), at('03-03T18:00:00Z'))).toBe(0);
      await history.dropFor(endpointId);
      expect(await window('03-01T00:00:00Z', '03-05T00:00:00Z')).toEqual([]);
    });
  });
});
