/** Demo members and a catalogue with one option of each type, seeded by `npm start` into an empty database. */
import type { Db } from 'mongodb';
import { optionInputSchema } from '../domain/options';
import { Ledger } from '../store/ledger';
import { Members } from '../store/members';
import { Options } from '../store/options';

const DEMO_MEMBERS = [
  {
    member: { name: 'Sara', email: 'sara@example.com', phone_number: '+966500000001', pos_account_id: 'POS-1001' },
    points: 2_500,
  },
  {
    member: { name: 'Omar', email: 'omar@example.com', phone_number: '+966500000002', external_id: 'app-2002' },
    points: 800,
  },
  { member: { name: 'Lina', email: 'lina@example.com', phone_number: '+96550000003' }, points: 120 },
];

const DEMO_OPTIONS = [
  { name: '10 SAR off your order', type: 'discount_amount', cost_points: 500, discount: 1_000 },
  { name: '50% off your order', type: 'discount_percentage', cost_points: 2_000, discount: 5_000, min_subtotal: 5_000 },
  { name: 'Free coffee', type: 'free_item', cost_points: 300, item_plu: 'DRN-01', partner: 'flavours' },
  { name: 'Buy one burger, get one free', type: 'buy_one_get_one_free', cost_points: 400, item_plu: 'BRG-01' },
  {
    name: '10 SAR off a family meal',
    type: 'item_discount_amount',
    cost_points: 350,
    item_plu: 'FAM-01',
    discount: 1_000,
  },
  {
    name: 'Half-price dessert',
    type: 'item_discount_percentage',
    cost_points: 250,
    item_plu: 'DES-01',
    discount: 5_000,
  },
  { name: 'Points to cash: 1 SAR per 100 points', type: 'variable', points_per_unit: 100, unit_value: 100 },
];

/** Returns a one-line summary of what was seeded, or undefined when the database already had members. */
export async function seedDemoData(db: Db): Promise<string | undefined> {
  if ((await db.collection('members').estimatedDocumentCount()) > 0) return undefined;
  const members = new Members(db);
  const ledger = new Ledger(db);
  const options = new Options(db);
  for (const { member, points } of DEMO_MEMBERS) {
    const created = await members.create(member);
    await ledger.append({
      memberId: created._id,
      type: 'EARN',
      points,
      idempotencyKey: `demo:${created._id}`,
      reason: 'welcome points',
    });
  }
  for (const option of DEMO_OPTIONS) await options.create(optionInputSchema.parse({ currency: 'SAR', ...option }));
  return `${DEMO_MEMBERS.length} members (sara@example.com has 2500 points), ${DEMO_OPTIONS.length} redemption options (ids 1-${DEMO_OPTIONS.length})`;
}
