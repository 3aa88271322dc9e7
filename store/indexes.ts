import type { Db, IndexDescription } from 'mongodb';

/**
 * Unique indexes are what FerretDB and MongoDB both enforce atomically, so every invariant that concurrent writers
 * could break is guarded by one of these rather than by read-modify-write.
 */
const INDEXES: Record<string, IndexDescription[]> = {
  members: [
    { key: { email: 1 }, name: 'email_unique', unique: true, sparse: true },
    { key: { phone_number: 1 }, name: 'phone_number_unique', unique: true, sparse: true },
    { key: { pos_account_id: 1 }, name: 'pos_account_id_unique', unique: true, sparse: true },
    { key: { external_id: 1 }, name: 'external_id_unique', unique: true, sparse: true },
  ],
  // The ledger's optimistic concurrency: one entry per (member, sequence number).
  ledger: [
    { key: { member_id: 1, seq: 1 }, name: 'member_seq_unique', unique: true },
    { key: { redemption_id: 1 }, name: 'redemption' },
  ],
  coupons: [{ key: { redemption_id: 1 }, name: 'one_coupon_per_redemption', unique: true }],
  redemptions: [
    { key: { member_id: 1, created_at: -1 }, name: 'member' },
    { key: { status: 1 }, name: 'status' },
    { key: { coupon_code: 1 }, name: 'coupon_code' },
    { key: { order_id: 1 }, name: 'order' },
  ],
  redemption_events: [{ key: { redemption_id: 1, at: 1 }, name: 'redemption_at' }],
};

export async function ensureIndexes(db: Db): Promise<void> {
  for (const [collection, indexes] of Object.entries(INDEXES)) {
    // One at a time: FerretDB v1 drops the connection when createIndexes repeats several existing indexes at once.
    for (const { key, ...options } of indexes) await db.collection(collection).createIndex(key, options);
  }
}
