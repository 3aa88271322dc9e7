import { describe, expect, it } from 'vitest';
import {
  EXPECTED_ENTRIES,
  checkRedemptionEntries,
  foldLedger,
  type FoldedEntry,
  type RedemptionEntry,
} from '../../domain/reconciliation';
import { REDEMPTION_STATUSES } from '../../domain/states';
import type { LedgerType } from '../../domain/ledger';

const DELTAS: Record<LedgerType, (points: number) => [number, number]> = {
  EARN: (points) => [points, 0],
  ADJUST: (points) => [points, 0],
  REFUND: (points) => [points, 0],
  DEBIT: (points) => [-points, 0],
  HOLD: (points) => [0, points],
  RELEASE: (points) => [0, -points],
  CAPTURE: (points) => [-points, -points],
  EXPIRE: (points) => [-points, 0],
};

/** Entries numbered 1, 2, 3… with the running balances an honest ledger stores. */
function history(...moves: Array<[LedgerType, number]>): FoldedEntry[] {
  let balance = 0;
  let held = 0;
  return moves.map(([type, points], index) => {
    const [balance_delta, held_delta] = DELTAS[type](points);
    balance += balance_delta;
    held += held_delta;
    const expired = type === 'EXPIRE' ? { points_expired: points } : {};
    return { seq: index + 1, type, balance_delta, held_delta, balance_after: balance, held_after: held, ...expired };
  });
}

const codes = (problems: Array<{ code: string }>) => problems.map((problem) => problem.code);

describe('re-folding a member’s ledger', () => {
  const honest = history(['EARN', 1000], ['HOLD', 300], ['CAPTURE', 300], ['DEBIT', 200], ['REFUND', 200]);

  it('finds nothing in an honest history, and its balances are the fold', () => {
    const fold = foldLedger(honest, { seq: 5, balance_after: 700, held_after: 0 });
    expect(fold).toMatchObject({ problems: [], count: 0, balance: 700, held: 0 });
  });

  it('accepts a head hint that lags the newest entry, with that entry’s balances', () => {
    expect(foldLedger(honest, { seq: 2, balance_after: 1000, held_after: 300 }).count).toBe(0);
  });

  it('reports an entry whose stored running balance differs from the fold, and judges later entries by the fold', () => {
    const corrupted = honest.map((entry) => (entry.seq === 2 ? { ...entry, balance_after: 1500 } : entry));
    const fold = foldLedger(corrupted);
    expect(fold.problems).toEqual([
      expect.objectContaining({ code: 'entry_balances', seq: 2, message: expect.stringContaining('1500') }),
    ]);
    expect(fold.balance).toBe(700);
  });

  it('reports a missing entry, and the balances that no longer follow from what is left', () => {
    const fold = foldLedger(honest.filter((entry) => entry.seq !== 4));
    expect(codes(fold.problems)).toEqual(['entry_missing', 'entry_balances']);
    expect(fold.problems[0]).toMatchObject({ seq: 4, message: 'Entry 4 is missing.' });
  });

  it('reports a fold that overdraws the member, even when every stored balance agrees with it', () => {
    const overdrawn = history(['EARN', 100], ['DEBIT', 150]);
    expect(codes(foldLedger(overdrawn).problems)).toEqual(['overdrawn']);
    expect(codes(foldLedger(history(['EARN', 100], ['RELEASE', 10])).problems)).toEqual(['overdrawn']);
  });

  it('reports deltas that the entry’s type cannot have', () => {
    const wrong = history(['EARN', 100]).map((entry) => ({ ...entry, type: 'DEBIT' as const }));
    expect(codes(foldLedger(wrong).problems)).toEqual(['entry_deltas']);
  });

  it('reports a head hint ahead of the ledger, or whose balances are not those of its entry', () => {
    expect(codes(foldLedger(honest, { seq: 6, balance_after: 700, held_after: 0 }).problems)).toEqual(['head_ahead']);
    expect(codes(foldLedger(honest, { seq: 3, balance_after: 999, held_after: 0 }).problems)).toEqual([
      'head_balances',
    ]);
  });

  it('folds EXPIRE entries, and releases and refunds that gave back points as expired', () => {
    const entries = history(['EARN', 500], ['HOLD', 100], ['EXPIRE', 150], ['DEBIT', 200], ['REFUND', 200]);
    // The hold released after its date: 60 of its points expired; the refund gave back 50 as already expired.
    const release = { seq: 6, type: 'RELEASE' as const, balance_delta: -60, held_delta: -100, points_expired: 60 };
    const refund = { seq: 7, type: 'REFUND' as const, balance_delta: 0, held_delta: 0, points_expired: 50 };
    const expired = [
      ...entries,
      { ...release, balance_after: 290, held_after: 0 },
      { ...refund, balance_after: 290, held_after: 0 },
    ];
    const fold = foldLedger(expired, { seq: 7, balance_after: 290, held_after: 0 });
    expect(fold.problems).toEqual([]);
    expect(fold).toMatchObject({ balance: 290, held: 0 });
  });

  it('reports an EXPIRE that does not say what it expired, or a release that expired more than it released', () => {
    const unsaid = history(['EARN', 100], ['EXPIRE', 40]).map((entry) => ({ ...entry, points_expired: undefined }));
    expect(codes(foldLedger(unsaid).problems)).toEqual(['entry_deltas']);
    const held = history(['EARN', 100], ['HOLD', 30]);
    const release = { seq: 3, type: 'RELEASE' as const, balance_delta: -40, held_delta: -30, points_expired: 40 };
    expect(codes(foldLedger([...held, { ...release, balance_after: 60, held_after: 0 }]).problems)).toEqual([
      'entry_deltas',
    ]);
  });

  it('keeps the first ten problems of a member and counts them all', () => {
    const entries = history(...Array.from({ length: 30 }, () => ['EARN', 10] as [LedgerType, number])).map((entry) => ({
      ...entry,
      balance_after: entry.balance_after + 1,
    }));
    const fold = foldLedger(entries);
    expect(fold.problems).toHaveLength(10);
    expect(fold.count).toBe(30);
  });
});

function entriesOf(...moves: Array<[LedgerType, number]>): RedemptionEntry[] {
  return moves.map(([type, points], index) => {
    const [balance_delta, held_delta] = DELTAS[type](points);
    return { seq: index + 10, type, member_id: 'mem_1', balance_delta, held_delta };
  });
}

describe('a redemption’s ledger entries against its status', () => {
  const redemption = (status: (typeof REDEMPTION_STATUSES)[number], points: number | null = 300) => ({
    status,
    points,
    member_id: 'mem_1',
  });

  it('has a rule for every status', () => {
    expect(Object.keys(EXPECTED_ENTRIES).sort()).toEqual([...REDEMPTION_STATUSES].sort());
  });

  it.each([
    ['rejected', [], null],
    ['pending', [], null],
    ['awaiting_order', [['HOLD', 300]], 300],
    ['redeeming', [['DEBIT', 300]], 300],
    [
      'needs_review',
      [
        ['HOLD', 300],
        ['CAPTURE', 300],
      ],
      300,
    ],
    ['completed', [['DEBIT', 300]], 300],
    [
      'completed',
      [
        ['HOLD', 300],
        ['CAPTURE', 300],
      ],
      300,
    ],
    [
      'completed',
      [
        ['DEBIT', 300],
        ['REFUND', 100],
        ['REFUND', 150],
      ],
      300,
    ],
    [
      'compensated',
      [
        ['DEBIT', 300],
        ['REFUND', 300],
      ],
      300,
    ],
    [
      'compensated',
      [
        ['HOLD', 300],
        ['CAPTURE', 300],
        ['REFUND', 300],
      ],
      300,
    ],
    [
      'refunded',
      [
        ['DEBIT', 300],
        ['REFUND', 300],
      ],
      300,
    ],
    [
      'refunded',
      [
        ['DEBIT', 300],
        ['REFUND', 100],
        ['REFUND', 200],
      ],
      300,
    ],
    [
      'expired',
      [
        ['HOLD', 300],
        ['RELEASE', 300],
      ],
      300,
    ],
    [
      'cancelled',
      [
        ['HOLD', 300],
        ['RELEASE', 300],
      ],
      300,
    ],
  ] as const)('accepts a %s redemption with %j', (status, moves, points) => {
    const entries = entriesOf(...(moves as unknown as Array<[LedgerType, number]>));
    expect(checkRedemptionEntries(redemption(status, points), entries)).toEqual([]);
  });

  it.each([
    ['completed', [], ['points_moved']],
    ['completed', [['HOLD', 300]], ['points_moved']],
    [
      'completed',
      [
        ['DEBIT', 300],
        ['HOLD', 300],
        ['CAPTURE', 300],
      ],
      ['points_moved'],
    ],
    [
      'completed',
      [
        ['DEBIT', 300],
        ['REFUND', 400],
      ],
      ['refund_total'],
    ],
    ['compensated', [['DEBIT', 300]], ['refund_total']],
    ['compensated', [['REFUND', 300]], ['points_moved']],
    [
      'refunded',
      [
        ['DEBIT', 300],
        ['REFUND', 200],
      ],
      ['refund_total'],
    ],
    ['expired', [['HOLD', 300]], ['points_moved']],
    [
      'cancelled',
      [
        ['HOLD', 300],
        ['CAPTURE', 300],
      ],
      ['points_moved'],
    ],
    [
      'awaiting_order',
      [
        ['HOLD', 300],
        ['RELEASE', 300],
      ],
      ['points_moved'],
    ],
    ['rejected', [['DEBIT', 300]], ['points_moved']],
    [
      'needs_review',
      [
        ['DEBIT', 300],
        ['REFUND', 300],
      ],
      ['refund_total'],
    ],
    ['completed', [['DEBIT', 250]], ['entry_amount']],
  ] as const)('reports a %s redemption with %j', (status, moves, expected) => {
    const entries = entriesOf(...(moves as unknown as Array<[LedgerType, number]>));
    expect(codes(checkRedemptionEntries(redemption(status), entries))).toEqual(expected);
  });

  it('holds a partly cancelled order’s refunds to the points its cancellations gave back', () => {
    const partly = { ...redemption('completed'), points_refunded: 100 };
    expect(codes(checkRedemptionEntries(partly, entriesOf(['DEBIT', 300], ['REFUND', 100])))).toEqual([]);
    expect(codes(checkRedemptionEntries(partly, entriesOf(['DEBIT', 300])))).toEqual(['refund_total']);
    expect(codes(checkRedemptionEntries(partly, entriesOf(['DEBIT', 300], ['REFUND', 100], ['REFUND', 50])))).toEqual([
      'refund_total',
    ]);
  });

  it('counts points given back as expired by a release or a refund as the redemption’s own', () => {
    const released = [
      { seq: 10, type: 'HOLD' as const, member_id: 'mem_1', balance_delta: 0, held_delta: 300 },
      {
        seq: 11,
        type: 'RELEASE' as const,
        member_id: 'mem_1',
        balance_delta: -120,
        held_delta: -300,
        points_expired: 120,
      },
    ];
    expect(checkRedemptionEntries(redemption('expired'), released)).toEqual([]);
    const refunded = [
      ...entriesOf(['DEBIT', 300]),
      { seq: 11, type: 'REFUND' as const, member_id: 'mem_1', balance_delta: 100, held_delta: 0, points_expired: 200 },
    ];
    expect(checkRedemptionEntries(redemption('refunded'), refunded)).toEqual([]);
  });

  it('reports an entry in another member’s ledger', () => {
    const entries = entriesOf(['DEBIT', 300]).map((entry) => ({ ...entry, member_id: 'mem_2' }));
    expect(codes(checkRedemptionEntries(redemption('completed'), entries))).toEqual(['entry_member']);
  });
});
