/** Test data written through the product's own store code. */
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { optionInputSchema, type RedemptionOption } from '../../domain/options';
import { Ledger } from '../../store/ledger';
import { Members, type Member } from '../../store/members';
import { Options } from '../../store/options';

export async function createMemberWithPoints(
  db: Db,
  points: number,
  identifiers: Partial<Member> = {},
): Promise<Member> {
  const member = await new Members(db).create({
    email: `member-${randomUUID().slice(0, 8)}@example.com`,
    ...identifiers,
  });
  if (points > 0) {
    await new Ledger(db).append({ memberId: member._id, type: 'EARN', points, idempotencyKey: `seed:${member._id}` });
  }
  return member;
}

/** The usual test option's fields: a free coffee for 100 points. */
const FREE_COFFEE = { name: 'Free coffee', type: 'free_item', cost_points: 100, item_plu: 'COF-01', currency: 'SAR' };

export function createOption(db: Db, input: Record<string, unknown> = {}): Promise<RedemptionOption> {
  return new Options(db).create(optionInputSchema.parse({ ...FREE_COFFEE, ...input }));
}

/** An option as the catalogue holds it, without a store: for workflows run with fake activities. */
export function catalogueOption(id: number, input: Record<string, unknown> = {}): RedemptionOption {
  return { ...optionInputSchema.parse({ ...FREE_COFFEE, ...input }), id, created_at: '2025-01-01T00:00:00.000Z' };
}

/** Folds a member's ledger entries from scratch, to compare with the balances the API reports. */
export async function foldLedger(db: Db, memberId: string) {
  const entries = await db.collection('ledger').find({ member_id: memberId }).sort({ seq: 1 }).toArray();
  let balance = 0;
  let held = 0;
  entries.forEach((entry, index) => {
    balance += entry.balance_delta as number;
    held += entry.held_delta as number;
    if (entry.seq !== index + 1) throw new Error(`ledger of ${memberId} has a gap at seq ${index + 1}`);
  });
  return { points_balance: balance, points_held: held, points_available: balance - held, entries };
}
