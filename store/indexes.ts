import type { Db, IndexDescription } from 'mongodb';
import { createLookupIndexes } from './postgres-lookups';

/**
 * Every index of the store, declared once. Unique indexes are what FerretDB and MongoDB both enforce atomically, so
 * every invariant that concurrent writers could break is guarded by one of them rather than by read-modify-write;
 * the others serve look-ups. Every query on a hot path filters by equality on `_id` or on the first key of one of
 * these, so it is index-backed on MongoDB, and on FerretDB through the lookup indexes below.
 */
const INDEXES: Record<string, IndexDescription[]> = {
  members: [
    { key: { email: 1 }, name: 'email_unique', unique: true, sparse: true },
    { key: { phone_number: 1 }, name: 'phone_number_unique', unique: true, sparse: true },
    { key: { pos_account_id: 1 }, name: 'pos_account_id_unique', unique: true, sparse: true },
    { key: { external_id: 1 }, name: 'external_id_unique', unique: true, sparse: true },
  ],
  // Entries are keyed `<member>/<seq>`, so the _id itself serialises a member's appends.
  ledger: [
    { key: { idempotency_key: 1 }, name: 'idempotency_key_unique', unique: true },
    { key: { block: 1 }, name: 'block' },
    { key: { redemption_id: 1 }, name: 'redemption' },
    { key: { member_id: 1, seq: 1 }, name: 'member_seq' },
  ],
  ledger_heads: [],
  // The same numbered layout as the ledger, per limit scope (`<scope>/<seq>`).
  limit_usage: [{ key: { idempotency_key: 1 }, name: 'idempotency_key_unique', unique: true }],
  limit_usage_heads: [],
  redemption_options: [],
  coupons: [{ key: { redemption_id: 1 }, name: 'one_coupon_per_redemption', unique: true }],
  redemptions: [
    { key: { member_id: 1, created_at: -1 }, name: 'member' },
    { key: { client_id: 1, created_at: -1 }, name: 'client' },
    { key: { status: 1 }, name: 'status' },
    { key: { coupon_code: 1 }, name: 'coupon_code' },
    { key: { order_id: 1 }, name: 'order' },
    { key: { created_day: 1 }, name: 'created_day' },
  ],
  partner_notifications: [{ key: { state: 1, received_at: 1 }, name: 'state' }],
  // Keyed `<redemption>/<attempt key>`; read whole for a redemption's audit trail.
  partner_calls: [{ key: { redemption_id: 1 }, name: 'redemption' }],
  order_cancellations: [],
  reconciliation_reports: [],
  reconciliation_latest: [],
  webhook_endpoints: [
    { key: { status: 1 }, name: 'status' },
    { key: { client_id: 1 }, name: 'client' },
  ],
  webhook_outbox: [
    { key: { endpoint_id: 1 }, name: 'endpoint' },
    { key: { redemption_id: 1 }, name: 'redemption' },
  ],
  // Numbered per endpoint (`<endpoint>/<seq>`), read a block at a time, like the ledger.
  webhook_deliveries: [{ key: { block: 1 }, name: 'block' }],
  webhook_delivery_heads: [],
  webhook_delivery_pruning: [],
};

/** The fields each collection is looked up by: `_id`, and the first key of each of its indexes. */
export function lookupFields(): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(INDEXES).map(([collection, indexes]) => [
      collection,
      ['_id', ...new Set(indexes.map((index) => Object.keys(index.key)[0]!))],
    ]),
  );
}

const NAMESPACE_EXISTS = 48;

/**
 * Creates the indexes. On FerretDB over PostgreSQL (`postgresUrl` given), filters are pushed down as JSONB
 * containment, which FerretDB's own btree indexes cannot serve: there only the unique indexes are created through
 * FerretDB (they enforce invariants), and every looked-up field gets a GIN index made in PostgreSQL directly.
 */
export async function ensureIndexes(db: Db, postgresUrl?: string): Promise<void> {
  for (const [collection, indexes] of Object.entries(INDEXES)) {
    await db.createCollection(collection).catch((error: { code?: number }) => {
      if (error.code !== NAMESPACE_EXISTS) throw error;
    });
    const wanted = postgresUrl ? indexes.filter((index) => index.unique) : indexes;
    // One at a time: FerretDB v1 drops the connection when createIndexes repeats several existing indexes at once.
    for (const { key, ...options } of wanted) await db.collection(collection).createIndex(key, options);
  }
  if (postgresUrl) await createLookupIndexes(postgresUrl, db.databaseName, lookupFields());
}
