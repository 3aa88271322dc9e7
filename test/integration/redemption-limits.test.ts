/**
 * Redemption limits per member and period, and stock, against the real servers: exact when redemptions race on two
 * workers, refused with their own reason codes, and a slot given back whenever a redemption ends without its reward.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedemptionSteps } from '../../activities/redemption-steps';
import { workflowIdOf } from '../../application/redemption-ids';
import { periodKey } from '../../domain/limits';
import { LimitReachedError, LimitUndecidedError, LimitUsage, usageKey } from '../../store/limit-usage';
import { createOptionOverApi, redeemOverApi } from '../harness/api-calls';
import { createMemberWithPoints, foldLedger } from '../harness/fixtures';
import { recordHistory } from '../harness/histories';
import { readJson, startTestStack, startTestWorker, type RunningWorker, type TestStack } from '../harness/stack';
import { fulfilledByStub, startStubPartner, type StubPartner } from '../harness/stub-partner';

describe('redemption limits', () => {
  let stack: TestStack;
  let secondWorker: RunningWorker;
  let partner: StubPartner;

  beforeAll(async () => {
    partner = await startStubPartner();
    stack = await startTestStack({
      env: fulfilledByStub(partner),
    });
    secondWorker = await startTestWorker(stack.config, stack.mongo);
  });
  afterAll(async () => {
    await secondWorker?.stop();
    await stack?.close();
    await partner?.close();
  });

  const usage = () => new LimitUsage(stack.mongo.db);

  const createOption = (extra: Record<string, unknown> = {}) => createOptionOverApi(stack, extra);

  const redeem = (body: Record<string, unknown>) => redeemOverApi(stack, body);

  /** Records a redemption's history for the replay test once its workflow has ended (RECORD_HISTORIES=1 only). */
  async function recordEnded(id: string, name: string) {
    await stack.client.workflow.getHandle(workflowIdOf(id)).result();
    await recordHistory(stack.client, name, workflowIdOf(id));
  }

  const codeOf = (answer: { body: any }) => answer.body.error?.code;
  const today = () => periodKey('day', new Date());

  it('lets exactly 3 of 30 racing redemptions through a limit of 3 per member per day, on two workers', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 10_000);
    const option = await createOption({ limits: { per_member: { count: 3, period: 'day' } } });
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => redeem({ customer_email: member.email, redemption_option_id: option.id })),
    );

    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(3);
    const refused = answers.filter((answer) => answer.status === 422);
    expect(refused).toHaveLength(27);
    expect(new Set(refused.map(codeOf))).toEqual(new Set(['member_limit_reached']));
    const fold = await foldLedger(stack.mongo.db, member._id);
    expect(fold.entries.filter((entry) => entry.type === 'DEBIT')).toHaveLength(3);
    expect(fold.points_balance).toBe(9_700);
    expect(await usage().count(`member/${option.id}/${member._id}/${today()}`)).toBe(3);
  });

  it('lets exactly 5 of 30 members redeem an option with a stock of 5 when they race', async () => {
    const option = await createOption({ limits: { stock: 5 } });
    const members = await Promise.all(Array.from({ length: 30 }, () => createMemberWithPoints(stack.mongo.db, 500)));
    const answers = await Promise.all(
      members.map((member) => redeem({ customer_email: member.email, redemption_option_id: option.id })),
    );

    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(5);
    const refused = answers.filter((answer) => answer.status === 422);
    expect(refused).toHaveLength(25);
    expect(new Set(refused.map(codeOf))).toEqual(new Set(['out_of_stock']));
    const debited = await Promise.all(members.map((member) => foldLedger(stack.mongo.db, member._id)));
    expect(debited.filter((fold) => fold.points_balance === 400)).toHaveLength(5);
    expect(await usage().count(`stock/${option.id}`)).toBe(5);
  });

  it('gives the slot back when a delayed redemption is cancelled, so the next one goes through', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const option = await createOption({ limits: { per_member: { count: 1, period: 'lifetime' } } });
    const body = { customer_email: member.email, redemption_option_id: option.id, delay_points_deduction: true };

    const held = await redeem(body);
    expect(held.body.status).toBe('awaiting_order');
    const second = await redeem(body);
    expect(second.status).toBe(422);
    expect(codeOf(second)).toBe('member_limit_reached');
    expect(second.body.error.message).toMatch(/limit/);

    const cancel = await stack.api.request(`/v1/redemptions/${held.body.id}/cancel`, { method: 'POST' });
    expect((await readJson(cancel)).status).toBe('cancelled');
    const detail = await readJson(await stack.api.request(`/v1/redemptions/${held.body.id}`));
    expect(detail.events.map((event: any) => event.type)).toEqual(
      expect.arrayContaining(['limit_slots_claimed', 'limit_slots_released']),
    );
    expect(detail.events.find((event: any) => event.type === 'limit_slots_released').data).toMatchObject({
      cause: 'cancelled',
      slots: [{ kind: 'member', scope: `member/${option.id}/${member._id}/lifetime` }],
    });

    await recordEnded(held.body.id, 'limited-delayed-cancelled');

    const third = await redeem(body);
    expect(third.status).toBe(201);
    expect(await usage().count(`member/${option.id}/${member._id}/lifetime`)).toBe(1);
  });

  it('gives the stock back when the partner refuses the reward and the redemption is compensated', async () => {
    const option = await createOption({ partner: 'flavours', limits: { stock: 1 } });
    const [first, second, third] = await Promise.all([0, 1, 2].map(() => createMemberWithPoints(stack.mongo.db, 500)));

    partner.queue({ status: 400, body: { message: 'unknown reward' } });
    const refused = await redeem({ customer_email: first!.email, redemption_option_id: option.id });
    expect(refused.status).toBe(502);
    await recordEnded(/redemption (\S+)\)/.exec(refused.body.error.message)![1]!, 'limited-compensated');
    expect(await usage().count(`stock/${option.id}`)).toBe(0);

    const redeemed = await redeem({ customer_email: second!.email, redemption_option_id: option.id });
    expect(redeemed.status).toBe(201);
    expect(redeemed.body.status).toBe('completed');
    const none = await redeem({ customer_email: third!.email, redemption_option_id: option.id });
    expect(none.status).toBe(422);
    expect(codeOf(none)).toBe('out_of_stock');
  });

  it('gives the slot back when an order cancellation refunds a redemption whose workflow has ended', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const option = await createOption({ limits: { per_member: { count: 1, period: 'month' } } });
    const body = { customer_email: member.email, redemption_option_id: option.id };
    const done = await redeem(body);
    expect(done.body.status).toBe('completed');
    const orderId = `o-${randomUUID()}`;
    const order = await stack.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: orderId, coupon_code: done.body.coupon_code },
    });
    expect(order.status).toBe(200);
    expect(codeOf(await redeem(body))).toBe('member_limit_reached');

    const cancelled = await stack.api.request(`/v1/orders/${orderId}/cancel`, { method: 'POST' });
    expect((await readJson(cancelled)).redemptions).toEqual([{ id: done.body.id, status: 'refunded' }]);
    const scope = `member/${option.id}/${member._id}/${periodKey('month', new Date())}`;
    expect(await usage().count(scope)).toBe(0);
    expect((await redeem(body)).status).toBe(201);
  });

  it('gives back the slots of redemptions rejected for their points after they took one', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 100);
    const option = await createOption({ limits: { per_member: { count: 5, period: 'week' } } });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => redeem({ customer_email: member.email, redemption_option_id: option.id })),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    const rejected = answers.filter((answer) => codeOf(answer) === 'insufficient_points');
    expect(rejected).toHaveLength(4);
    for (const answer of rejected) {
      const id = /redemption (\S+)\)/.exec(answer.body.error.message)![1]!;
      const events = (await readJson(await stack.api.request(`/v1/redemptions/${id}`))).events;
      const claimed = events.some((event: any) => event.type === 'limit_slots_claimed');
      const released = events.find((event: any) => event.type === 'limit_slots_released');
      expect(released?.data.cause).toBe(claimed ? 'rejected' : undefined);
    }
    expect(await usage().count(`member/${option.id}/${member._id}/${periodKey('week', new Date())}`)).toBe(1);
  });

  it('never refuses a redemption member_limit_reached for a slot held by one that then fails for lack of points', async () => {
    // Points for one redemption, and a limit of two: every other one must fail for its points, never for the limit.
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const option = await createOption({ cost_points: 600, limits: { per_member: { count: 2, period: 'day' } } });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => redeem({ customer_email: member.email, redemption_option_id: option.id })),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status !== 201).map(codeOf)).toEqual(
      Array.from({ length: 19 }, () => 'insufficient_points'),
    );
    expect(await usage().count(`member/${option.id}/${member._id}/${today()}`)).toBe(1);
    if (process.env.RECORD_HISTORIES === '1') {
      // One that waited for the undecided slots: its history holds the pause.
      for (const answer of answers.filter((one) => one.status !== 201)) {
        const id = /redemption (\S+)\)/.exec(answer.body.error.message)![1]!;
        const history = await stack.client.workflow.getHandle(workflowIdOf(id)).fetchHistory();
        if (history.events?.some((event) => event.timerStartedEventAttributes)) {
          await recordEnded(id, 'limited-waited-for-undecided');
          break;
        }
      }
    }
  });

  it('shows an option’s limits, and refuses invalid limits with a 400 naming each bad field', async () => {
    const limits = { per_member: { count: 2, period: 'week' }, stock: 100 };
    const option = await createOption({ limits });
    expect(await readJson(await stack.api.request(`/v1/redemption-options/${option.id}`))).toMatchObject({ limits });

    const document = await readJson(await stack.api.request('/openapi.json'));
    const schema = document.components.schemas.RedemptionOptionLimits;
    expect(Object.keys(schema.properties)).toEqual(['per_member', 'stock']);
    expect(schema.properties.per_member.properties.period.enum).toEqual(['day', 'week', 'month', 'lifetime']);
    expect(schema.additionalProperties).toBe(false);

    const invalid: Array<[unknown, string]> = [
      [{}, 'limits'],
      [{ per_member: { count: 0, period: 'day' } }, 'limits.per_member.count'],
      [{ per_member: { count: 2, period: 'year' } }, 'limits.per_member.period'],
      [{ per_member: { count: 2 } }, 'limits.per_member.period'],
      [{ stock: 1.5 }, 'limits.stock'],
      [{ stock: -1 }, 'limits.stock'],
      [{ stock: 5, total: 5 }, 'limits'],
      ['lots', 'limits'],
    ];
    for (const [bad, path] of invalid) {
      const res = await stack.api.request('/v1/redemption-options', {
        method: 'POST',
        json: { name: 'Bad', type: 'free_item', cost_points: 100, item_plu: 'X', currency: 'SAR', limits: bad },
      });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      const error = (await readJson(res)).error;
      expect(error.code).toBe('invalid_request');
      expect(
        error.details.map((detail: any) => detail.path),
        JSON.stringify(bad),
      ).toContain(path);
    }
  });

  describe('the usage log', () => {
    it('never counts past the limit when claims race from separate processes', async () => {
      const scope = `stock/race-${randomUUID()}`;
      const processes = Array.from({ length: 5 }, () => usage());
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, index) =>
          processes[index % processes.length]!.claim({
            scope,
            limit: 3,
            idempotencyKey: usageKey(`${scope}:${index}`, 'stock', 'claim'),
            redemptionId: `${scope}:${index}`,
          }),
        ),
      );
      const taken = results.flatMap((result, index) => (result.status === 'fulfilled' ? [`${scope}:${index}`] : []));
      expect(taken).toHaveLength(3);
      // Their points are not reserved yet: the others are told to come back, not refused.
      for (const result of results.filter((candidate) => candidate.status === 'rejected')) {
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(LimitUndecidedError);
      }
      expect(await usage().count(scope)).toBe(3);
      await Promise.all(taken.map((redemptionId) => usage().settle({ scope, kind: 'stock', redemptionId })));
      const late = {
        scope,
        limit: 3,
        idempotencyKey: usageKey(`${scope}:late`, 'stock', 'claim'),
        redemptionId: `${scope}:late`,
      };
      await expect(usage().claim(late)).rejects.toBeInstanceOf(LimitReachedError);
    });

    it('gives a slot whose redemption failed for its points to a claim that waited for it', async () => {
      const scope = `stock/undecided-${randomUUID()}`;
      const claim = (name: string) => {
        const redemptionId = `${scope}:${name}`;
        return usage().claim({
          scope,
          limit: 1,
          idempotencyKey: usageKey(redemptionId, 'stock', 'claim'),
          redemptionId,
        });
      };
      await claim('rdm-short-of-points');
      await expect(claim('rdm-next')).rejects.toBeInstanceOf(LimitUndecidedError);
      // One that waited long enough counts the undecided slot as taken.
      await expect(
        usage().claim({
          scope,
          limit: 1,
          idempotencyKey: `${scope}:rdm-patient`,
          redemptionId: `${scope}:rdm-patient`,
          undecidedAsTaken: true,
        }),
      ).rejects.toBeInstanceOf(LimitReachedError);
      await usage().release({ scope, kind: 'stock', redemptionId: `${scope}:rdm-short-of-points`, cause: 'rejected' });
      expect((await claim('rdm-next')).duplicate).toBe(false);
      await usage().settle({ scope, kind: 'stock', redemptionId: `${scope}:rdm-next` });
      await usage().release({ scope, kind: 'stock', redemptionId: `${scope}:rdm-next`, cause: 'expired' });
      // A settled slot given back leaves nothing undecided behind: the next claim is refused or taken, never told to wait.
      await claim('rdm-third');
      await usage().settle({ scope, kind: 'stock', redemptionId: `${scope}:rdm-third` });
      await expect(claim('rdm-fourth')).rejects.toBeInstanceOf(LimitReachedError);
    });

    it('counts a repeated claim, settling or release once', async () => {
      const scope = `stock/once-${randomUUID()}`;
      const slot = { scope, kind: 'stock' as const, redemptionId: `${scope}:1` };
      const claims = await Promise.all(
        Array.from({ length: 10 }, () =>
          usage().claim({
            scope,
            limit: 5,
            idempotencyKey: usageKey(slot.redemptionId, 'stock', 'claim'),
            redemptionId: slot.redemptionId,
          }),
        ),
      );
      expect(claims.filter((claim) => !claim.duplicate)).toHaveLength(1);
      await Promise.all([usage().settle(slot), usage().settle(slot)]);
      await Promise.all([
        usage().release({ ...slot, cause: 'expired' }),
        usage().release({ ...slot, cause: 'expired' }),
      ]);
      expect(await usage().count(scope)).toBe(0);
    });

    it('answers a repeated claim step as it did the first time, after giving back the slot a later limit refused', async () => {
      const steps = createRedemptionSteps(stack.mongo.db);
      const optionId = 900_000 + Math.floor(Math.random() * 100_000);
      const limits = { per_member: { count: 5, period: 'lifetime' as const }, stock: 1 };
      const memberId = `member-${randomUUID()}`;
      // The steps audit on the redemption, which the first step of its workflow stores.
      await stack.mongo.db
        .collection<{ _id: string }>('redemptions')
        .insertMany(['first', 'second'].map((which) => ({ _id: `${which}-${memberId}`, events: [], event_keys: [] })));
      expect(await steps.claimLimitSlots({ redemptionId: `first-${memberId}`, memberId, optionId, limits })).toEqual({
        ok: true,
        slots: [
          { kind: 'member', scope: `member/${optionId}/${memberId}/lifetime` },
          { kind: 'stock', scope: `stock/${optionId}` },
        ],
      });
      const input = { redemptionId: `second-${memberId}`, memberId, optionId, limits };
      expect(await steps.claimLimitSlots(input)).toEqual({ ok: false, wait: true, scope: `stock/${optionId}` });
      // The first one's points are reserved: its slots are decided, and the stock is out.
      for (const kind of ['member', 'stock'] as const) {
        const scope = kind === 'member' ? `member/${optionId}/${memberId}/lifetime` : `stock/${optionId}`;
        await usage().settle({ scope, kind, redemptionId: `first-${memberId}` });
      }
      expect(await steps.claimLimitSlots(input)).toEqual({ ok: false, reason: 'out_of_stock' });
      expect(await usage().count(`member/${optionId}/${memberId}/lifetime`)).toBe(1);

      // The stock frees up before the step runs again (a failed workflow task): the step still answers out_of_stock.
      await steps.releaseLimitSlots({
        redemptionId: `first-${memberId}`,
        slots: [{ kind: 'stock', scope: `stock/${optionId}` }],
        cause: 'expired',
      });
      expect(await steps.claimLimitSlots(input)).toEqual({ ok: false, reason: 'out_of_stock' });
      expect(await usage().count(`stock/${optionId}`)).toBe(0);
      expect(await usage().count(`member/${optionId}/${memberId}/lifetime`)).toBe(1);
    });
  });
});
