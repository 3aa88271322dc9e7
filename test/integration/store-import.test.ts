import { Redemptions } from '../../store/redemptions';
import { RedemptionHistory } from '../../store/redemption-history';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsufficientPointsError } from '../../domain/ledger';
import { Ledger } from '../../store/ledger';
import { Members } from '../../store/members';
import { createOption, foldLedger } from '../harness/fixtures';
import { readJson, startTestStack, type TestStack } from '../harness/stack';

describe('importing a merchant history', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('imports a ledger of 120 entries that pages, balances and takes new appends like one written entry by entry', async () => {
    const db = stack.mongo.db;
    const [member] = await new Members(db).importMany([{ email: 'Imported@Example.com', created_at: new Date(0) }]);
    const entries = Array.from({ length: 120 }, (_, index) => ({
      type: index % 3 === 2 ? ('DEBIT' as const) : ('EARN' as const),
      points: 50,
      idempotencyKey: `import-test:${index}`,
      created_at: new Date(1_000 * index),
    }));
    const ledger = new Ledger(db);
    await ledger.importHistories([{ memberId: member!._id, entries }]);

    expect(await ledger.balances(member!._id)).toEqual({
      points_balance: 2_000,
      points_held: 0,
      points_available: 2_000,
    });
    const page = await ledger.list(member!._id, { skip: 40, limit: 30 });
    expect(page.total).toBe(120);
    expect(page.entries.map((entry) => entry.seq)).toEqual(Array.from({ length: 30 }, (_, k) => 80 - k));

    const option = await createOption(db, { cost_points: 300 });
    const answer = await stack.api.request('/v1/redemptions', {
      method: 'POST',
      json: { customer_email: 'imported@example.com', redemption_option_id: option.id },
    });
    expect(answer.status).toBe(201);
    expect((await readJson(answer)).status).toBe('completed');
    expect(await foldLedger(db, member!._id)).toMatchObject({ points_balance: 1_700, points_held: 0 });
    expect((await ledger.balances(member!._id)).points_balance).toBe(1_700);
  });

  it('refuses a history that would overdraw, writing nothing', async () => {
    const db = stack.mongo.db;
    const [member] = await new Members(db).importMany([{ email: 'overdrawn@example.com', created_at: new Date() }]);
    const at = new Date();
    await expect(
      new Ledger(db).importHistories([
        {
          memberId: member!._id,
          entries: [
            { type: 'EARN', points: 100, idempotencyKey: 'overdraw:1', created_at: at },
            { type: 'DEBIT', points: 101, idempotencyKey: 'overdraw:2', created_at: at },
          ],
        },
      ]),
    ).rejects.toBeInstanceOf(InsufficientPointsError);
    expect(await db.collection('ledger').countDocuments({ member_id: member!._id })).toBe(0);
  });

  it('imports finished redemptions with their audit trail and coupon, readable through the API', async () => {
    const db = stack.mongo.db;
    const at = new Date('2026-01-02T03:04:05Z');
    await new RedemptionHistory(db).importMany([
      {
        document: {
          _id: 'red_imported_1',
          request_hash: 'imported',
          request: { customer_email: 'someone@example.com', redemption_option_id: 7, delay_points_deduction: false },
          member_id: 'mem_imported',
          redemption_option_id: 7,
          points: 100,
          delay_points_deduction: false,
          currency: null,
          coupon_code: 'IMPORTED-1',
          status: 'completed',
          reason: null,
          partner: null,
          order_id: null,
          expires_at: null,
          completed_at: at.toISOString(),
          created_at: at,
          updated_at: at,
          version: 3,
        },
        events: [
          { at, type: 'requested', status: 'pending' },
          { at, type: 'status', status: 'completed' },
        ],
      },
    ]);
    const answer = await stack.api.request('/v1/redemptions/red_imported_1');
    expect(answer.status).toBe(200);
    expect(await readJson(answer)).toMatchObject({
      id: 'red_imported_1',
      status: 'completed',
      coupon_code: 'IMPORTED-1',
    });
    expect(await new Redemptions(db).findByCouponCode('IMPORTED-1')).toMatchObject({ _id: 'red_imported_1' });
  });
});
