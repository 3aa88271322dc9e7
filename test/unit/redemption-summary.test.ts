import { describe, expect, it } from 'vitest';
import { optionInputSchema, type RedemptionOption } from '../../domain/options';
import { redemptionCurrentDetails, redemptionStartSummary } from '../../domain/redemption-summary';
import { REDEMPTION_STATUSES } from '../../domain/states';

function option(input: Record<string, unknown>): RedemptionOption {
  return {
    id: 7,
    created_at: '2025-01-01T00:00:00.000Z',
    ...optionInputSchema.parse({ currency: 'SAR', ...input }),
  };
}

const coffee = option({
  name: 'Free coffee',
  type: 'free_item',
  cost_points: 300,
  item_plu: 'COF',
  partner: 'flavours',
});

describe('what operators read about a redemption in the Temporal UI', () => {
  it('summarises points, reward, partner, mode and the status at start on one line', () => {
    const { staticSummary, staticDetails } = redemptionStartSummary(
      'rdm_1',
      { redemption_option_id: 7, delay_points_deduction: true },
      coffee,
    );
    expect(staticSummary).toBe('300 points for Free coffee (option 7) · partner flavours · delayed · pending');
    expect(staticDetails.split('\n')).toEqual([
      '- Redemption rdm_1',
      '- Reward: Free coffee (option 7), free_item',
      '- Points: 300',
      '- Partner: flavours',
      '- Points are held until the order arrives, then captured',
    ]);
  });

  it('takes the points of a variable reward from the request, and names an option missing from the catalogue', () => {
    const variable = option({ name: 'Points to money', type: 'variable', points_per_unit: 50, unit_value: 100 });
    expect(
      redemptionStartSummary(
        'rdm_2',
        { redemption_option_id: 7, delay_points_deduction: false, point_redemptions: 150 },
        variable,
      ).staticSummary,
    ).toBe('150 points for Points to money (option 7) · partner none · immediate · pending');
    expect(
      redemptionStartSummary('rdm_3', { redemption_option_id: 99, delay_points_deduction: false }, null).staticSummary,
    ).toBe('? points for option 99 (not in the catalogue) · partner none · immediate · pending');
  });

  it('keeps a long or multi-line reward name to one short line, and names the order a redemption came with', () => {
    const long = option({ name: `Family\nmeal ${'x'.repeat(100)}`, type: 'free_item', cost_points: 10, item_plu: 'F' });
    const { staticSummary, staticDetails } = redemptionStartSummary(
      'rdm_4',
      { redemption_option_id: 7, delay_points_deduction: false },
      long,
      'order-9',
    );
    expect(staticSummary).not.toContain('\n');
    expect(staticSummary).toContain(`Family meal ${'x'.repeat(47)}… (option 7)`);
    expect(staticDetails).toContain('- Order: order-9');
  });

  it('never carries what identifies the member, whatever the request holds', () => {
    const request = {
      customer_email: 'sara@example.com',
      phone_number: '+966500000001',
      pos_account_id: 'POS-123',
      customer_external_id: 'ext-456',
      redemption_option_id: 7,
      delay_points_deduction: false,
    };
    const { staticSummary, staticDetails } = redemptionStartSummary('rdm_5', request, coffee);
    for (const identifier of ['sara@example.com', '+966500000001', 'POS-123', 'ext-456']) {
      expect(staticSummary + staticDetails).not.toContain(identifier);
    }
  });

  it('tells the current details of every status: the status, then what happened or what it waits for', () => {
    const facts = { points: 300, partner: 'flavours', expiresAt: '2026-01-08T10:00:00.000Z', orderId: 'A-1' };
    const details = Object.fromEntries(
      REDEMPTION_STATUSES.map((status) => [status, redemptionCurrentDetails({ ...facts, status, reason: null })]),
    );
    expect(details.awaiting_order).toBe(
      'Status: **awaiting_order**\n\nAwaiting its order: 300 points held until 2026-01-08T10:00:00.000Z',
    );
    expect(details.redeeming).toContain('300 points debited; partner flavours fulfilling');
    expect(details.completed).toContain('Completed: 300 points debited for order A-1');
    expect(details.compensated).toContain('300 points refunded, coupon void');
    expect(redemptionCurrentDetails({ status: 'rejected', reason: 'insufficient_points' })).toContain(
      'Rejected: insufficient_points; no points moved',
    );
    for (const status of REDEMPTION_STATUSES)
      expect(details[status]).toMatch(new RegExp(`^Status: \\*\\*${status}\\*\\*\n\n.+`));
  });
});
