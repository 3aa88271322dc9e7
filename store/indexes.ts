import type { Db, IndexDescription } from 'mongodb';
import { detectDialect } from './dialect';
import { createLookupIndexes } from './ferretdb/lookup-indexes';

/**
 * An index; `mongodbOnly` for one that serves a range, which FerretDB does not push down to PostgreSQL; `notLookedUp`
 * for a unique one nothing filters by, which needs no lookup index on FerretDB.
 */
type Index = IndexDescription & { mongodbOnly?: true; notLookedUp?: true };

/**
 * Every index of the store, declared once. Unique indexes are what FerretDB and MongoDB both enforce atomically, so
 * every invariant that concurrent writers could break is guarded by one of them rather than by read-modify-write;
 * the others serve look-ups. Every query on a hot path filters by equality on `_id` or on the first key of one of
 * these, so it is index-backed on MongoDB, and on FerretDB through the lookup indexes below.
 */
const INDEXES: Record<string, Index[]> = {
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
  // One per member and expiry date, found by the minute it falls in (store/expiry-dates.ts).
  points_expiry_dates: [{ key: { due_minute: 1 }, name: 'due_minute' }],
  points_expiry_sweeps: [],
  // The same numbered layout as the ledger, per limit scope (`<scope>/<seq>`).
  limit_usage: [{ key: { idempotency_key: 1 }, name: 'idempotency_key_unique', unique: true }],
  limit_usage_heads: [],
  redemption_options: [],
  redemptions: [
    // Sparse: a redemption without a coupon has no such field (store/redemptions.ts). Looked up by `coupon_code`.
    { key: { issued_coupon_code: 1 }, name: 'coupon_code_unique', unique: true, sparse: true, notLookedUp: true },
    { key: { member_id: 1, created_at: -1 }, name: 'member' },
    { key: { client_id: 1, created_at: -1 }, name: 'client' },
    { key: { status: 1 }, name: 'status' },
    { key: { coupon_code: 1 }, name: 'coupon_code' },
    { key: { order_id: 1 }, name: 'order' },
    { key: { created_day: 1 }, name: 'created_day' },
    // The report's range on MongoDB; FerretDB reads it a day at a time through created_day (store/dialect.ts).
    { key: { created_at: 1 }, name: 'created_at', mongodbOnly: true },
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
    // What a lane with a backlog reads first on MongoDB; FerretDB reads the endpoint's rows through `endpoint`.
    { key: { endpoint_id: 1, due_at: 1 }, name: 'endpoint_due', mongodbOnly: true },
    { key: { redemption_id: 1 }, name: 'redemption' },
  ],
  // Numbered per endpoint (`<endpoint>/<seq>`), read a block at a time, like the ledger.
  webhook_deliveries: [{ key: { block: 1 }, name: 'block' }],
  webhook_delivery_heads: [],
  webhook_delivery_pruning: [],
  // Keyed `<endpoint>/<event>` like the outbox: what each endpoint was sent, read back by replays.
  webhook_history: [
    // A replay's window on FerretDB, a day at a time, and the days pruning drops.
    { key: { endpoint_day: 1 }, name: 'endpoint_day' },
    // A replay's window on MongoDB; on both, everything kept for a deleted endpoint.
    { key: { endpoint_id: 1, created_at: 1 }, name: 'endpoint_created' },
  ],
  webhook_history_pruning: [],
};

/** The fields each collection is looked up by: `_id`, and the first key of each of its indexes. */
export function lookupFields(): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(INDEXES).map(([collection, indexes]) => [
      collection,
      [
        '_id',
        ...new Set(
          indexes
            .filter((index) => !index.mongodbOnly && !index.notLookedUp)
            .map((index) => Object.keys(index.key)[0]!),
        ),
      ],
    ]),
  );
}

const NAMESPACE_EXISTS = 48;

function indexOptions(index: Index): Omit<IndexDescription, 'key'> {
  const options: Partial<Index> = { ...index };
  delete options.key;
  delete options.mongodbOnly;
  delete options.notLookedUp;
  return options;
}

/**
 * Asks the server what it is (store/dialect.ts) and creates the indexes. MongoDB gets every index, natively. FerretDB
 * pushes a filter down as JSONB containment, which its own btree indexes cannot serve: there only the unique indexes
 * are created through FerretDB (they enforce invariants), and every looked-up field gets a GIN index made in its
 * PostgreSQL directly (when `postgresUrl` says where that is).
 */
export async function ensureIndexes(db: Db, postgresUrl?: string): Promise<void> {
  const { server } = await detectDialect(db);
  for (const [collection, indexes] of Object.entries(INDEXES)) {
    await db.createCollection(collection).catch((error: { code?: number }) => {
      if (error.code !== NAMESPACE_EXISTS) throw error;
    });
    const wanted = server === 'ferretdb' ? indexes.filter((index) => index.unique) : indexes;
    // One at a time: FerretDB v1 drops the connection when createIndexes repeats several existing indexes at once.
    for (const index of wanted) await db.collection(collection).createIndex(index.key, indexOptions(index));
  }
  if (server === 'ferretdb' && postgresUrl) await createLookupIndexes(postgresUrl, db.databaseName, lookupFields());
}
