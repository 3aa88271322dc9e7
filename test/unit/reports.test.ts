import { describe, expect, it } from 'vitest';
import { ReportTally, type ReportedRedemption } from '../../domain/reports';

function redemption(fields: Partial<ReportedRedemption>): ReportedRedemption {
  return {
    created_at: new Date('2026-11-27T10:00:00Z'),
    created_day: '2026-11-27',
    status: 'completed',
    points: 400,
    partner: null,
    redemption_option_id: 1,
    ...fields,
  };
}

describe('the redemptions report tally', () => {
  it('counts what the ledger spent and refunded: in full for compensated and refunded, in part for partly cancelled orders', () => {
    const tally = new ReportTally('status');
    tally.add(redemption({}));
    tally.add(redemption({ points_refunded: 100 }));
    tally.add(redemption({ status: 'refunded', points_refunded: 400 }));
    tally.add(redemption({ status: 'refunded' }));
    tally.add(redemption({ status: 'compensated' }));
    tally.add(redemption({ status: 'awaiting_order' }));
    tally.add(redemption({ status: 'rejected', points: null }));

    const { rows, totals } = tally.result();
    expect(totals).toEqual({ count: 7, points_spent: 2000, points_refunded: 1300, points: 700 });
    expect(rows.find((row) => row.key === 'completed')).toMatchObject({
      count: 2,
      points_spent: 800,
      points_refunded: 100,
      points: 700,
    });
    expect(rows.find((row) => row.key === 'awaiting_order')).toMatchObject({ points_spent: 0, points: 0 });
  });
});
