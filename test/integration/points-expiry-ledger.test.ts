/** The ledger's expiry schedule, through the store's own code against the real store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerType } from '../../domain/ledger';
import { ExpiryInPastError } from '../../domain/points-expiry';
import type { MongoHandle } from '../../store/connect';
import { ExpiryDates, minuteOf } from '../../store/expiry-dates';
import { Ledger } from '../../store/ledger';
import { Members } from '../../store/members';
import { foldLedger } from '../harness/fixtures';
import { connectTestMongo, testConfig, uniqueName } from '../harness/stack';

const JAN = '2030-01-01T00:00:00.000Z';
const FEB = '2030-02-01T00:00:00.000Z';

const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the ledger’s expiry schedule', () => {
  let mongo: MongoHandle;
  let ledger: Ledger;

  beforeAll(async () => {
    mongo = await connectTestMongo(testConfig());
    ledger = new Ledger(mongo.db);
  });
  afterAll(async () => {
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.client.close();
  });

  async function member(): Promise<string> {
    return (await new Members(mongo.db).create({ external_id: uniqueName('m') }))._id;
  }

  /** A DEBIT, HOLD or RELEASE under a key of its own. */
  function move(memberId: string, type: LedgerType, points: number, redemptionId?: string) {
    return ledger.append({ memberId, type, points, redemptionId, idempotencyKey: uniqueName(type) });
  }

  async function earn(memberId: string, points: number, expiresAt?: string) {
    return ledger.append({
      memberId,
      type: 'EARN',
      points,
      expiresAt,
      idempotencyKey: uniqueName(`earn:${memberId}`),
    });
  }

  it('spends the soonest-expiring points first, never-expiring ones last, and records what a debit took', async () => {
    const id = await member();
    await earn(id, 100);
    await earn(id, 50, FEB);
    await earn(id, 30, JAN);
    const { entry } = await move(id, 'DEBIT', 60);
    expect(entry.lots_taken).toEqual([
      { expires_at: JAN, points: 30 },
      { expires_at: FEB, points: 30 },
    ]);
    const { balances, schedule } = await ledger.pointsOf(id);
    expect(balances.points_balance).toBe(120);
    expect(schedule.free).toEqual([
      { expires_at: FEB, points: 20 },
      { expires_at: null, points: 100 },
    ]);
  });

  it('refuses an earn whose expiry date has passed, writing nothing', async () => {
    const id = await member();
    await expect(earn(id, 10, '2020-01-01T00:00:00.000Z')).rejects.toBeInstanceOf(ExpiryInPastError);
    expect((await foldLedger(mongo.db, id)).entries).toHaveLength(0);
  });

  it('expires the unspent rest of a date once, and leaves held points alone', async () => {
    const id = await member();
    await earn(id, 100, soon(300));
    await move(id, 'DEBIT', 30);
    await move(id, 'HOLD', 20, 'r1');
    await sleep(400);
    const date = (await ledger.pointsOf(id)).schedule.free[0]!.expires_at!;
    const expired = await ledger.expire(id, date);
    expect(expired).toMatchObject({ type: 'EXPIRE', balance_delta: -50, points_expired: 50, expires_at: date });
    expect((await ledger.expire(id, date))?._id).toBe(expired?._id);
    const fold = await foldLedger(mongo.db, id);
    expect(fold.entries.filter((entry) => entry.type === 'EXPIRE')).toHaveLength(1);
    expect(await ledger.balances(id)).toEqual({ points_balance: 20, points_held: 20, points_available: 0 });
    expect(await ledger.expire(id, JAN)).toBeNull();
  });

  it('expires held points at their release when their date passed while held', async () => {
    const id = await member();
    await earn(id, 40, soon(300));
    await earn(id, 10);
    await move(id, 'HOLD', 45, 'r2');
    await sleep(400);
    const { entry } = await move(id, 'RELEASE', 45, 'r2');
    expect(entry).toMatchObject({ balance_delta: -40, held_delta: -45, points_expired: 40 });
    expect(await ledger.balances(id)).toEqual({ points_balance: 10, points_held: 0, points_available: 10 });
    expect((await ledger.pointsOf(id)).schedule).toEqual({ free: [{ expires_at: null, points: 10 }], held: [] });
  });

  it('refunds a captured hold with the dates it took, those past their date as already expired', async () => {
    const id = await member();
    const date = soon(300);
    await earn(id, 30, date);
    await earn(id, 30, JAN);
    const redemption = { memberId: id, points: 50, redemptionId: uniqueName('rdm') };
    await ledger.append({ ...redemption, type: 'HOLD', idempotencyKey: `${redemption.redemptionId}:hold` });
    const { entry: capture } = await ledger.append({
      ...redemption,
      type: 'CAPTURE',
      idempotencyKey: `${redemption.redemptionId}:capture`,
    });
    expect(capture.lots_taken).toEqual([
      { expires_at: date, points: 30 },
      { expires_at: JAN, points: 20 },
    ]);
    await sleep(400);
    const refund = (step: string, points: number) =>
      ledger.append({ ...redemption, points, type: 'REFUND', idempotencyKey: `${redemption.redemptionId}:${step}` });
    // The points spent last come back first: January's 20, then 5 of the date that has passed.
    expect((await refund('part', 25)).entry).toMatchObject({ balance_delta: 20, points_expired: 5 });
    expect((await refund('rest', 25)).entry).toMatchObject({ balance_delta: 0, points_expired: 25 });
    expect((await refund('rest', 25)).duplicate).toBe(true);
    expect((await ledger.pointsOf(id)).schedule.free).toEqual([{ expires_at: JAN, points: 30 }]);
    expect(await ledger.balances(id)).toMatchObject({ points_balance: 30 });
  });

  it('reads a ledger written before points expired as points that never expire', async () => {
    const id = await member();
    await earn(id, 80);
    await move(id, 'HOLD', 30, 'old');
    // As such a ledger was stored: no schedule on its entries or its head.
    await mongo.db.collection('ledger').updateMany({ member_id: id }, { $unset: { lots_after: '' } });
    await mongo.db.collection('ledger_heads').updateOne({ _id: id as never }, { $unset: { lots_after: '' } });
    await earn(id, 10, JAN);
    expect((await ledger.pointsOf(id)).schedule.free).toEqual([
      { expires_at: JAN, points: 10 },
      { expires_at: null, points: 50 },
    ]);
    const { entry } = await move(id, 'RELEASE', 30, 'old');
    expect(entry.balance_delta).toBe(0);
    expect(entry.lots_after?.free).toEqual([
      { expires_at: JAN, points: 10 },
      { expires_at: null, points: 80 },
    ]);
  });

  it('imports a history with dated earns: its schedule, and the dates the expiry pass will find', async () => {
    const id = await member();
    const at = new Date('2026-01-01T00:00:00Z');
    await ledger.importHistories([
      {
        memberId: id,
        entries: [
          { type: 'EARN', points: 50, expiresAt: JAN, idempotencyKey: `import:${id}:1`, created_at: at },
          { type: 'EARN', points: 20, idempotencyKey: `import:${id}:2`, created_at: at },
          { type: 'DEBIT', points: 30, idempotencyKey: `import:${id}:3`, created_at: at },
        ],
      },
    ]);
    expect((await ledger.pointsOf(id)).schedule.free).toEqual([
      { expires_at: JAN, points: 20 },
      { expires_at: null, points: 20 },
    ]);
    const dates = await new ExpiryDates(mongo.db).inMinute(minuteOf(JAN));
    expect(dates.filter((date) => date.member_id === id)).toEqual([
      expect.objectContaining({ member_id: id, expires_at: JAN }),
    ]);
  });
});
