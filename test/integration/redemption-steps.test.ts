/**
 * The saga's store steps against the real MongoDB-protocol server. A failed workflow task runs its local activities
 * again, so every step here is run more than once, and late, to show that the redemption ends up as if it ran once.
 */
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MerchantEvents } from '../../activities/merchant-events';
import { createRedemptionSteps } from '../../activities/redemption-steps';
import type { CreateRedemptionRequest } from '../../domain/redemption';
import type { MongoHandle } from '../../store/connect';
import { Ledger } from '../../store/ledger';
import { RedemptionHistory } from '../../store/redemption-history';
import { Redemptions } from '../../store/redemptions';
import { createMemberWithPoints, createOption, foldLedger } from '../harness/fixtures';
import { connectTestMongo, testConfig, uniqueName } from '../harness/stack';

describe('redemption steps on the store', () => {
  let mongo: MongoHandle;
  let steps: ReturnType<typeof createRedemptionSteps>;
  let redemptions: Redemptions;

  beforeAll(async () => {
    mongo = await connectTestMongo(testConfig());
    steps = createRedemptionSteps(mongo.db);
    redemptions = new Redemptions(mongo.db);
  });
  afterAll(async () => {
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.client.close();
  });

  async function begin(points = 500) {
    const member = await createMemberWithPoints(mongo.db, points);
    const option = await createOption(mongo.db, { partner: 'flavours' });
    const redemptionId = uniqueName('rdm');
    const request: CreateRedemptionRequest = {
      customer_email: member.email!,
      redemption_option_id: option.id,
      delay_points_deduction: false,
    };
    const input = { redemptionId, requestHash: 'hash', request };
    const context = await steps.beginRedemption(input);
    return { redemptionId, memberId: member._id, input, context };
  }

  const trail = async (id: string) =>
    (await redemptions.getWithEvents(id))!.events.map((event) => event.status ?? event.type);

  it('records the redemption once and loads its context, however often it begins', async () => {
    const { redemptionId, memberId, input, context } = await begin(300);
    expect(context).toMatchObject({ memberId, availablePoints: 300, option: { partner: 'flavours' } });
    expect(await steps.beginRedemption(input)).toEqual(context);

    const detail = (await redemptions.getWithEvents(redemptionId))!;
    expect(detail).toMatchObject({ status: 'pending', version: 0 });
    expect(detail.events).toEqual([
      {
        at: detail.created_at.toISOString(),
        type: 'requested',
        status: 'pending',
        data: { request: expect.objectContaining({ customer_email: expect.stringContaining('***@') }) },
      },
    ]);
  });

  it('debits, issues one coupon and writes redeeming with its audit events once, however often the step runs', async () => {
    const { redemptionId, memberId } = await begin();
    const reserve = {
      redemptionId,
      version: 1,
      memberId,
      points: 100,
      delayed: false,
      changes: { currency: 'SAR', partner: 'flavours' as const },
    };
    const coupon = (await steps.reservePoints(reserve)) as string;
    expect(await steps.reservePoints(reserve)).toBe(coupon);

    expect(await redemptions.get(redemptionId)).toMatchObject({
      status: 'redeeming',
      version: 1,
      member_id: memberId,
      points: 100,
      currency: 'SAR',
      partner: 'flavours',
      coupon_code: coupon,
      issued_coupon_code: coupon,
    });
    expect(await trail(redemptionId)).toEqual(['pending', 'ledger', 'redeeming']);
    expect((await foldLedger(mongo.db, memberId)).points_balance).toBe(400);
    expect(await redemptions.findByCouponCode(coupon)).toMatchObject({ _id: redemptionId });
  });

  it('draws another coupon code for a recorded redemption when the one drawn is taken, and keeps it when run again', async () => {
    const earlier = await begin();
    const takenCode = await steps.reservePoints({ ...earlier, version: 1, points: 100, delayed: true, changes: {} });
    const fresh = 'FRSH-3456-789A-BCDE';
    const draws = [takenCode, fresh, 'NEVR-DRWN-3456-789A'];
    const drawing = createRedemptionSteps(mongo.db, undefined, undefined, () => draws.shift()!);
    const { redemptionId, memberId } = await begin();
    const reserve = { redemptionId, version: 1, memberId, points: 100, delayed: true, changes: {} };

    expect(await drawing.reservePoints(reserve)).toBe(fresh);
    expect(await drawing.reservePoints(reserve)).toBe(fresh);

    expect(await redemptions.get(redemptionId)).toMatchObject({ status: 'awaiting_order', coupon_code: fresh });
    expect(await redemptions.findByCouponCode(takenCode)).toMatchObject({ _id: earlier.redemptionId });
    expect(await trail(redemptionId)).toEqual(['pending', 'ledger', 'awaiting_order']);
    expect((await foldLedger(mongo.db, memberId)).entries.filter((entry) => entry.type === 'HOLD')).toHaveLength(1);
  });

  it('draws again a code that a redemption recorded before issued_coupon_code existed has, once it is backfilled', async () => {
    const legacyCode = 'LGCY-2345-6789-ABCD';
    const { redemptionId: legacyId, memberId: legacyMember } = await begin();
    // As an older release left it: its code unique through the `coupons` collection, not the redemption's index.
    await steps.reservePoints({
      redemptionId: legacyId,
      version: 1,
      memberId: legacyMember,
      points: 100,
      delayed: true,
      changes: {},
    });
    await mongo.db
      .collection<{ _id: string }>('redemptions')
      .updateOne({ _id: legacyId }, { $set: { coupon_code: legacyCode }, $unset: { issued_coupon_code: '' } });
    const history = new RedemptionHistory(mongo.db);
    expect(await history.backfillIssuedCouponCodes()).toBe(1);
    expect(await history.backfillIssuedCouponCodes()).toBe(0);
    expect(await redemptions.get(legacyId)).toMatchObject({ coupon_code: legacyCode, issued_coupon_code: legacyCode });

    const fresh = 'FRSH-4567-89AB-CDEF';
    const draws = [legacyCode, fresh];
    const drawing = createRedemptionSteps(mongo.db, undefined, undefined, () => draws.shift()!);
    const { redemptionId, memberId } = await begin();
    const reserve = { redemptionId, version: 1, memberId, points: 100, delayed: false, changes: {} };
    expect(await drawing.reservePoints(reserve)).toBe(fresh);
    expect(await redemptions.findByCouponCode(legacyCode)).toMatchObject({ _id: legacyId });
  });

  it('never moves a redemption backwards: a repeated or late step of an older version changes nothing', async () => {
    const { redemptionId, memberId } = await begin();
    const reserve = { redemptionId, version: 1, memberId, points: 100, delayed: false, changes: {} };
    await steps.reservePoints(reserve);
    await steps.completeRedemption({ redemptionId, version: 2 });
    await steps.completeRedemption({ redemptionId, version: 2 });
    await steps.reservePoints(reserve);
    await steps.markCompensated({ redemptionId, version: 1, failure: 'late' });

    expect(await redemptions.get(redemptionId)).toMatchObject({ status: 'completed', version: 2 });
    expect(await trail(redemptionId)).toEqual(['pending', 'ledger', 'redeeming', 'completed']);
  });

  it('appends an order, a partner attempt or a compensation once per key', async () => {
    const { redemptionId, memberId } = await begin();
    await steps.reservePoints({ redemptionId, version: 1, memberId, points: 100, delayed: false, changes: {} });
    await steps.completeRedemption({ redemptionId, version: 2 });
    for (let run = 0; run < 2; run++) {
      await steps.recordOrder({ redemptionId, orderId: 'o-1' });
      await steps.voidCoupon({ redemptionId });
      await steps.refundPoints({ redemptionId, memberId, points: 100 });
    }
    await redemptions.appendEvent(redemptionId, 'partner:1', { type: 'partner_call', data: { attempt: 1 } });
    await redemptions.appendEvent(redemptionId, 'partner:1', { type: 'partner_call', data: { attempt: 1 } });
    await redemptions.appendEvent(redemptionId, 'partner:2', { type: 'partner_call', data: { attempt: 2 } });

    expect(await redemptions.get(redemptionId)).toMatchObject({ status: 'completed', order_id: 'o-1' });
    expect(await trail(redemptionId)).toEqual([
      'pending',
      'ledger',
      'redeeming',
      'completed',
      'order_attached',
      'coupon_voided',
      'ledger',
      'partner_call',
      'partner_call',
    ]);
    expect((await foldLedger(mongo.db, memberId)).points_balance).toBe(500);
  });

  it('keeps every write when writes to one redemption overlap in a worker', async () => {
    const { redemptionId, memberId } = await begin();
    await steps.reservePoints({ redemptionId, version: 1, memberId, points: 100, delayed: false, changes: {} });
    // A partner attempt finishing past its deadline while the compensation runs, as the worker would see it.
    await Promise.all([
      ...[1, 2, 3, 4, 5].map((attempt) =>
        redemptions.appendEvent(redemptionId, `partner:${attempt}`, { type: 'partner_call', data: { attempt } }),
      ),
      steps.voidCoupon({ redemptionId }),
      steps.refundPoints({ redemptionId, memberId, points: 100 }),
      steps.markCompensated({ redemptionId, version: 2, failure: 'deadline' }),
    ]);

    const detail = (await redemptions.getWithEvents(redemptionId))!;
    expect(detail.status).toBe('compensated');
    expect(detail.events.map((event) => event.status ?? event.type).sort()).toEqual(
      [
        'pending',
        'ledger',
        'redeeming',
        ...Array<string>(5).fill('partner_call'),
        'coupon_voided',
        'ledger',
        'compensated',
      ].sort(),
    );
  });

  it('holds, then captures or releases in one step each, with the ledger entry and coupon in the audit trail', async () => {
    const held = await begin();
    const hold = { ...held, version: 1, points: 100, delayed: true, changes: { expires_at: '2030-01-01T00:00:00Z' } };
    await steps.reservePoints(hold);
    await steps.capturePoints({ ...hold, version: 2, orderId: 'o-7', sourcePartner: 'flavours' });
    expect(await redemptions.get(held.redemptionId)).toMatchObject({ status: 'redeeming', order_id: 'o-7' });
    const captured = (await redemptions.getWithEvents(held.redemptionId))!.events.at(-1)!;
    expect(captured).toMatchObject({ status: 'redeeming', data: { order_id: 'o-7', source_partner: 'flavours' } });

    const expired = await begin();
    const hold2 = { ...expired, version: 1, points: 100, delayed: true, changes: {} };
    await steps.reservePoints(hold2);
    await steps.releasePoints({ ...hold2, version: 2, status: 'expired' });
    await steps.releasePoints({ ...hold2, version: 2, status: 'expired' });
    expect(await trail(expired.redemptionId)).toEqual([
      'pending',
      'ledger',
      'awaiting_order',
      'ledger',
      'coupon_voided',
      'expired',
    ]);
    expect(await foldLedger(mongo.db, expired.memberId)).toMatchObject({ points_balance: 500, points_held: 0 });
  });

  it('refuses with InsufficientPoints and issues no coupon when the ledger has too few points', async () => {
    const { redemptionId, memberId } = await begin(50);
    const failure = await steps
      .reservePoints({ redemptionId, version: 1, memberId, points: 100, delayed: false, changes: {} })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'InsufficientPoints', nonRetryable: true });
    const stored = await redemptions.get(redemptionId);
    expect(stored).toMatchObject({ status: 'pending', version: 0, coupon_code: null });
    expect(stored).not.toHaveProperty('issued_coupon_code');
  });

  it('fails for good, with a typed non-retryable failure, when a step finds its ledger key used for another entry', async () => {
    const { redemptionId, memberId } = await begin(500);
    await new Ledger(mongo.db).append({ memberId, type: 'EARN', points: 5, idempotencyKey: `${redemptionId}:debit` });
    const failure = await steps
      .reservePoints({ redemptionId, version: 1, memberId, points: 100, delayed: false, changes: {} })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'IdempotencyKeyConflict', nonRetryable: true });
    expect(await redemptions.get(redemptionId)).toMatchObject({ status: 'pending', version: 0 });
  });

  // Regression: a PostgreSQL crash that lost the redemption's document left steps that applied nothing and went on as
  // if they were repeats (a ledger DEBIT whose redemption does not exist).
  it('fails a step loudly, with a retryable RedemptionMissing, when its redemption is gone from the store', async () => {
    const { redemptionId, memberId } = await begin(500);
    await mongo.db.collection<{ _id: string }>('redemptions').deleteOne({ _id: redemptionId });
    const reserve = { redemptionId, version: 1, memberId, points: 100, delayed: false, changes: {} };
    const failure = await steps.reservePoints(reserve).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'RedemptionMissing', nonRetryable: false });
    const operator = { redemptionId, action: 'release' as const, note: { actor: 'ops', reason: 'check' } };
    await expect(steps.recordOperatorAction(operator)).rejects.toMatchObject({ type: 'RedemptionMissing' });
  });

  it('takes a step that a newer one overtook for a repeat, and applies nothing', async () => {
    const { redemptionId, memberId } = await begin(500);
    await steps.reservePoints({ redemptionId, version: 2, memberId, points: 100, delayed: false, changes: {} });
    await steps.rejectRedemption({ redemptionId, version: 1, reason: 'insufficient_points', memberId });
    expect(await redemptions.get(redemptionId)).toMatchObject({ status: 'redeeming', version: 2 });
  });

  // Regression: a workflow task lost after the points moved runs its steps again from the first one, which read the
  // member's available points without the redemption's own debit and rejected it for lack of points while the debit
  // stayed in the ledger.
  it('decides again on the points the first run saw, counting those the redemption itself already moved', async () => {
    const { redemptionId, memberId, input, context } = await begin(100);
    expect(context.availablePoints).toBe(100);
    await steps.reservePoints({ redemptionId, version: 1, memberId, points: 100, delayed: false, changes: {} });
    expect((await steps.beginRedemption(input)).availablePoints).toBe(100);

    const held = await begin(300);
    const hold = { redemptionId: held.redemptionId, memberId: held.memberId, points: 200 };
    await steps.reservePoints({ ...hold, version: 1, delayed: true, changes: {} });
    expect((await steps.beginRedemption(held.input)).availablePoints).toBe(300);
  });
  // Regression (chaos): a step that completes with the points wrote both statuses, failed before telling the merchant,
  // and its repeat found the stored redemption completed: the merchant never heard it was redeeming.
  it('tells the merchant both statuses when a step that completes with the points is repeated after writing', async () => {
    const { redemptionId, memberId } = await begin(300);
    const told: string[] = [];
    let failNext = true;
    const events: MerchantEvents = {
      async statusChanged(change) {
        if (failNext) {
          failNext = false;
          throw new Error('the outbox could not be written');
        }
        // As the real one does: without the step's document, what the store holds, if it is that step's.
        const document = change.document ?? (await redemptions.get(redemptionId));
        if (document?.version === change.version && document.status === change.status) {
          told.push(`${change.status}:${change.version}`);
        }
      },
    };
    const failingOnce = createRedemptionSteps(mongo.db, undefined, events);
    const input = {
      redemptionId,
      memberId,
      points: 100,
      version: 1,
      completedVersion: 2,
      delayed: false,
      changes: { currency: 'SAR', partner: null },
    };
    await expect(failingOnce.reservePoints(input)).rejects.toThrow('the outbox could not be written');
    await failingOnce.reservePoints(input);
    expect(told).toEqual(['redeeming:1', 'completed:2']);
    expect(await trail(redemptionId)).toEqual(['pending', 'ledger', 'redeeming', 'completed']);
  });

  describe('beginning with the points (one step for an option without limits)', () => {
    async function beginningWithPoints(points: number, cost: number, spentBehindHint = 0) {
      const member = await createMemberWithPoints(mongo.db, points);
      if (spentBehindHint > 0) {
        // Spent by an entry whose writer died before moving the newest-entry hint: the hint says more than there is.
        const heads = mongo.db.collection<{ _id: string }>('ledger_heads');
        const hint = await heads.findOne({ _id: member._id });
        await new Ledger(mongo.db).append({
          memberId: member._id,
          type: 'DEBIT',
          points: spentBehindHint,
          idempotencyKey: `behind:${member._id}`,
        });
        await heads.replaceOne({ _id: member._id }, hint!);
      }
      const option = await createOption(mongo.db, { cost_points: cost });
      const redemptionId = uniqueName('rdm');
      const request: CreateRedemptionRequest = {
        customer_email: member.email!,
        redemption_option_id: option.id,
        delay_points_deduction: false,
      };
      const input = {
        redemptionId,
        requestHash: 'hash',
        request,
        memberId: member._id,
        option,
        now: new Date().toISOString(),
        points: { version: 1, completedVersion: 2, delayed: false, changes: { partner: null } },
      };
      return { redemptionId, memberId: member._id, input };
    }

    it('records the redemption, debits the points and completes it once, however often it runs', async () => {
      const { redemptionId, memberId, input } = await beginningWithPoints(300, 100);
      const first = await steps.beginRedemptionWithPoints(input);
      expect(first).toMatchObject({
        context: { memberId, availablePoints: 300 },
        reserved: { couponCode: expect.any(String), ledgerHead: { balance_after: 200, held_after: 0 } },
      });
      const again = await steps.beginRedemptionWithPoints(input);
      expect(again.reserved).toEqual(first.reserved);

      expect(await redemptions.get(redemptionId)).toMatchObject({ status: 'completed', version: 2, points: 100 });
      expect(await trail(redemptionId)).toEqual(['pending', 'ledger', 'redeeming', 'completed']);
      const fold = await foldLedger(mongo.db, memberId);
      expect(fold.points_balance).toBe(200);
      expect(fold.entries.filter((entry) => entry.type === 'DEBIT')).toHaveLength(1);
    });

    it('records the redemption once, in the status its points leave it, with the trail and events of two writes', async () => {
      const { redemptionId, input } = await beginningWithPoints(300, 100);
      const told: string[] = [];
      const events: MerchantEvents = {
        async statusChanged(change) {
          told.push(`${change.status}:${change.version}:${change.document?.status}:${change.document?.version}`);
        },
      };
      const watched = createRedemptionSteps(mongo.db, undefined, events);

      await watched.beginRedemptionWithPoints(input);

      expect(told).toEqual(['pending:0:pending:0', 'redeeming:1:redeeming:1', 'completed:2:completed:2']);
      const stored = await redemptions.getWithEvents(redemptionId);
      expect(stored).toMatchObject({ status: 'completed', version: 2, points: 100, member_id: input.memberId });
      expect(stored!.events.map((event) => event.type)).toEqual(['requested', 'ledger', 'status', 'status']);
      expect(stored!.created_at.getTime()).toBeLessThanOrEqual(stored!.updated_at.getTime());
    });

    // A run again of the step has no pending record of its own to tell it ran before: its own debit must still count.
    it('decides as its first run did when run again after taking every point the member had', async () => {
      const { redemptionId, memberId, input } = await beginningWithPoints(100, 100);
      const first = await steps.beginRedemptionWithPoints(input);
      expect((await foldLedger(mongo.db, memberId)).points_balance).toBe(0);

      const again = await steps.beginRedemptionWithPoints(input);

      expect(again.context.availablePoints).toBe(first.context.availablePoints);
      expect(again.reserved).toEqual(first.reserved);
      expect(await redemptions.get(redemptionId)).toMatchObject({ status: 'completed', version: 2 });
      expect((await foldLedger(mongo.db, memberId)).entries.filter((entry) => entry.type === 'DEBIT')).toHaveLength(1);
    });

    it("draws another coupon code when the one drawn is already another redemption's, and keeps it when run again", async () => {
      const taken = (await steps.beginRedemptionWithPoints((await beginningWithPoints(300, 100)).input)).reserved;
      const takenCode = (taken as { couponCode: string }).couponCode;
      const fresh = 'FRSH-2345-6789-ABCD';
      const draws = [takenCode, fresh, 'NEVR-DRWN-2345-6789'];
      const drawing = createRedemptionSteps(mongo.db, undefined, undefined, () => draws.shift()!);
      const { redemptionId, memberId, input } = await beginningWithPoints(300, 100);

      const first = await drawing.beginRedemptionWithPoints(input);
      const again = await drawing.beginRedemptionWithPoints(input);

      expect(first.reserved).toMatchObject({ couponCode: fresh });
      expect(again.reserved).toEqual(first.reserved);
      expect(await redemptions.get(redemptionId)).toMatchObject({
        status: 'completed',
        coupon_code: fresh,
        issued_coupon_code: fresh,
      });
      expect(await redemptions.findByCouponCode(takenCode)).not.toMatchObject({ _id: redemptionId });
      expect(await trail(redemptionId)).toEqual(['pending', 'ledger', 'redeeming', 'completed']);
      expect((await foldLedger(mongo.db, memberId)).entries.filter((entry) => entry.type === 'DEBIT')).toHaveLength(1);
    });

    it('moves nothing for a request that is not eligible, and says what it found', async () => {
      const { redemptionId, memberId, input } = await beginningWithPoints(50, 100);
      expect(await steps.beginRedemptionWithPoints(input)).toEqual({
        context: expect.objectContaining({ memberId, availablePoints: 50 }),
      });
      expect(await redemptions.get(redemptionId)).toMatchObject({ status: 'pending', version: 0 });
      expect((await foldLedger(mongo.db, memberId)).points_balance).toBe(50);
    });

    it('answers insufficient_points, with nothing moved, when the ledger has fewer points than its newest entry said', async () => {
      const { redemptionId, memberId, input } = await beginningWithPoints(300, 100, 250);
      expect(await steps.beginRedemptionWithPoints(input)).toMatchObject({
        context: { availablePoints: 300 },
        reserved: 'insufficient_points',
      });
      expect(await redemptions.get(redemptionId)).toMatchObject({ status: 'pending', version: 0, coupon_code: null });
      expect((await foldLedger(mongo.db, memberId)).points_balance).toBe(50);
    });
  });
});
