import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsufficientPointsError } from '../../domain/ledger';
import { Ledger } from '../../store/ledger';
import { workflowIdOf } from '../../application/redemption-ids';
import { recordHistory } from '../harness/histories';
import { createMemberWithPoints, createOption, foldLedger } from '../harness/fixtures';
import { readJson, startTestStack, startTestWorker, type RunningWorker, type TestStack } from '../harness/stack';

/** Separate Ledger instances race like separate worker processes: only the unique index keeps them apart. */
function processes(stack: TestStack): Ledger[] {
  return Array.from({ length: 5 }, () => new Ledger(stack.mongo.db));
}

describe('ledger under concurrency', () => {
  let stack: TestStack;
  let secondWorker: RunningWorker;

  beforeAll(async () => {
    stack = await startTestStack();
    secondWorker = await startTestWorker(stack.config, stack.mongo);
  });
  afterAll(async () => {
    await secondWorker?.stop();
    await stack?.close();
  });

  it('lets exactly 10 of 30 racing redemptions of 100 points through 1,000 available points on two workers', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const option = await createOption(stack.mongo.db, { cost_points: 100 });
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        stack.api.request('/v1/redemptions', {
          method: 'POST',
          json: { customer_email: member.email, redemption_option_id: option.id },
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 422)).toHaveLength(20);
    for (const answer of answers.filter((candidate) => candidate.status === 422)) {
      expect((await readJson(answer)).error.code).toBe('insufficient_points');
    }

    const fold = await foldLedger(stack.mongo.db, member._id);
    expect(fold.entries.filter((entry) => entry.type === 'DEBIT')).toHaveLength(10);
    expect(fold.entries.every((entry) => (entry.balance_after as number) - (entry.held_after as number) >= 0)).toBe(
      true,
    );
    const member_ = await readJson(await stack.api.request(`/v1/members/${member._id}`));
    expect(member_).toMatchObject({ points_balance: 0, points_held: 0, points_available: 0 });
    expect({ points_balance: fold.points_balance, points_held: fold.points_held }).toEqual({
      points_balance: 0,
      points_held: 0,
    });
  });

  it('never overdraws when holds, debits and an adjustment race on one member', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    const ledger = new Ledger(stack.mongo.db);
    const writers = processes(stack);
    const attempts = Array.from({ length: 40 }, (_, index) =>
      writers[index % writers.length]!.append({
        memberId: member._id,
        type: index % 3 === 0 ? 'HOLD' : index % 3 === 1 ? 'DEBIT' : 'ADJUST',
        points: index % 3 === 2 ? -100 : 100,
        idempotencyKey: `race:${member._id}:${index}`,
      }),
    );
    const results = await Promise.allSettled(attempts);
    const applied = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(applied).toHaveLength(10);
    for (const result of refused)
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(InsufficientPointsError);
    const fold = await foldLedger(stack.mongo.db, member._id);
    expect(fold.points_available).toBe(0);
    expect(await ledger.balances(member._id)).toEqual({
      points_balance: fold.points_balance,
      points_held: fold.points_held,
      points_available: 0,
    });
  });

  it('applies the same idempotency key once however many writers race with it', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 0);
    const ledger = new Ledger(stack.mongo.db);
    const writers = processes(stack);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        writers[index % writers.length]!.append({
          memberId: member._id,
          type: 'EARN',
          points: 50,
          idempotencyKey: `earn-once:${member._id}`,
        }),
      ),
    );
    expect(results.filter((result) => !result.duplicate)).toHaveLength(1);
    expect(await ledger.balances(member._id)).toEqual({ points_balance: 50, points_held: 0, points_available: 50 });
  });

  it('stays exact when the head hint lags behind the entries, as after a crash between the two writes', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const ledger = new Ledger(stack.mongo.db);
    await ledger.append({ memberId: member._id, type: 'DEBIT', points: 100, idempotencyKey: `lag:${member._id}:1` });
    const heads = stack.mongo.db.collection<{ _id: string }>('ledger_heads');
    const hint = await heads.findOne({ _id: member._id });
    await ledger.append({ memberId: member._id, type: 'DEBIT', points: 100, idempotencyKey: `lag:${member._id}:2` });
    // Put the hint back two entries, as if the process had died before moving it.
    await heads.replaceOne({ _id: member._id }, { ...hint, seq: 1, balance_after: 300, held_after: 0 });

    expect(await ledger.balances(member._id)).toEqual({ points_balance: 100, points_held: 0, points_available: 100 });
    await expect(
      ledger.append({ memberId: member._id, type: 'DEBIT', points: 150, idempotencyKey: `lag:${member._id}:3` }),
    ).rejects.toBeInstanceOf(InsufficientPointsError);
    const replay = await ledger.append({
      memberId: member._id,
      type: 'DEBIT',
      points: 100,
      idempotencyKey: `lag:${member._id}:2`,
    });
    expect(replay.duplicate).toBe(true);
    const written = await ledger.append({
      memberId: member._id,
      type: 'DEBIT',
      points: 100,
      idempotencyKey: `lag:${member._id}:4`,
    });
    expect(written.entry).toMatchObject({ seq: 4, balance_after: 0 });
    const fold = await foldLedger(stack.mongo.db, member._id);
    expect(fold.points_balance).toBe(0);
    expect(fold.entries).toHaveLength(4);
  });

  it('appends after the true head when the head it was handed is stale, and refuses only on the true balance', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 300);
    const ledger = new Ledger(stack.mongo.db);
    const { head: stale } = await ledger.hintedBalances(member._id);
    // Another writer moves the points after the head was read.
    await ledger.append({ memberId: member._id, type: 'DEBIT', points: 250, idempotencyKey: `stale:${member._id}:1` });
    await expect(
      ledger.append({
        memberId: member._id,
        type: 'DEBIT',
        points: 100,
        idempotencyKey: `stale:${member._id}:2`,
        knownHead: stale,
      }),
    ).rejects.toBeInstanceOf(InsufficientPointsError);
    await ledger.append({ memberId: member._id, type: 'EARN', points: 500, idempotencyKey: `stale:${member._id}:3` });
    const written = await ledger.append({
      memberId: member._id,
      type: 'DEBIT',
      points: 100,
      idempotencyKey: `stale:${member._id}:4`,
      knownHead: stale,
    });
    expect(written.entry).toMatchObject({ seq: 4, balance_after: 450 });
    expect(await foldLedger(stack.mongo.db, member._id)).toMatchObject({ points_balance: 450, points_held: 0 });
  });

  // Redemptions of one member started together all read the same head; in one process their appends take turns, and
  // each lost the race for its number to every append ahead of it, reading forward one entry at a time.
  it('appends a burst on one member in one process each at its first try, from the entry the one before wrote', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 1_000);
    let retries = 0;
    const ledger = new Ledger(stack.mongo.db, { contentionRetry: () => retries++ });
    const { head } = await ledger.hintedBalances(member._id);
    const written = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        ledger.append({
          memberId: member._id,
          type: 'DEBIT',
          points: 10,
          idempotencyKey: `burst:${member._id}:${index}`,
          knownHead: head,
        }),
      ),
    );
    expect(retries).toBe(0);
    expect(written.map(({ entry }) => entry.seq).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(await foldLedger(stack.mongo.db, member._id)).toMatchObject({ points_balance: 900, points_held: 0 });
    // Another writer between two bursts: the next burst finds its number taken once, and carries on from the true head.
    await new Ledger(stack.mongo.db).append({
      memberId: member._id,
      type: 'EARN',
      points: 100,
      idempotencyKey: `burst:${member._id}:other`,
    });
    await ledger.append({
      memberId: member._id,
      type: 'DEBIT',
      points: 10,
      idempotencyKey: `burst:${member._id}:late`,
      knownHead: head,
    });
    expect(await foldLedger(stack.mongo.db, member._id)).toMatchObject({ points_balance: 990, points_held: 0 });
  });

  // The first step decides on the hint's balances (one read); a hint an entry behind must not refuse a redemption.
  it('redeems points that only an entry past a lagging hint shows', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 100);
    const ledger = new Ledger(stack.mongo.db);
    const heads = stack.mongo.db.collection<{ _id: string }>('ledger_heads');
    const hint = await heads.findOne({ _id: member._id });
    await ledger.append({ memberId: member._id, type: 'EARN', points: 200, idempotencyKey: `behind:${member._id}` });
    await heads.replaceOne({ _id: member._id }, hint!);
    expect((await ledger.hintedBalances(member._id)).balances.points_available).toBe(100);
    const option = await createOption(stack.mongo.db, { cost_points: 250 });
    const res = await stack.api.request('/v1/redemptions', {
      method: 'POST',
      json: { customer_email: member.email, redemption_option_id: option.id },
    });
    expect(res.status).toBe(201);
    expect(await ledger.balances(member._id)).toEqual({ points_balance: 50, points_held: 0, points_available: 50 });
    const { id } = await readJson(res);
    await recordHistory(stack.client, 'immediate-completed-with-points', workflowIdOf(id));
    await recordHistory(stack.client, 'immediate-began-with-points', workflowIdOf(id));
  });

  it('never stalls when hundreds of members append at once, each append a read, an insert and an update', async () => {
    const members = await Promise.all(Array.from({ length: 250 }, () => createMemberWithPoints(stack.mongo.db, 0)));
    const ledger = new Ledger(stack.mongo.db);
    await Promise.all(
      members.flatMap((member) =>
        [1, 2, 3].map((index) =>
          ledger.append({
            memberId: member._id,
            type: 'EARN',
            points: 10,
            idempotencyKey: `many:${member._id}:${index}`,
          }),
        ),
      ),
    );
    for (const member of members.slice(0, 10)) {
      expect(await ledger.balances(member._id)).toEqual({ points_balance: 30, points_held: 0, points_available: 30 });
    }
  }, 60_000);
});
