/**
 * What differs between the two servers the store runs on, in one place. FerretDB v1, the embedded store, applies an
 * update as read, change, replace (two writes to one document at once can lose one), serves an equality filter only
 * through the JSONB lookup indexes we make in its PostgreSQL (store/ferretdb/), and does not push a range filter down
 * to PostgreSQL. MongoDB does all of that natively, so there its writes go straight to the server and its ranges are
 * index ranges: every rule below exists for FerretDB, and MongoDB pays nothing for it.
 *
 * The server is asked at connect time (FerretDB's buildInfo names its version); a database the store never connected
 * itself is treated as FerretDB, whose rules are safe on MongoDB too, only slower.
 */
import type { Db } from 'mongodb';
import { WriteQueue } from './write-queue';

export type StoreServer = 'ferretdb' | 'mongodb';

export interface StoreDialect {
  readonly server: StoreServer;
  /**
   * Runs a write to one document after this process's earlier writes to it. On FerretDB an update is read, change,
   * replace, so two at once could lose one; on MongoDB each update is atomic and runs at once.
   */
  serialized<T>(documentKey: string, write: () => Promise<T>): Promise<T>;
  /**
   * How a range of creation times is read: one indexed equality per UTC day key on FerretDB (its ranges are not pushed
   * down), one index range on MongoDB.
   */
  readonly rangesByDay: boolean;
}

/** One queue per process: a document's writes from every store object of this process go through it. */
const ferretDbWrites = new WriteQueue();

export const FERRETDB: StoreDialect = {
  server: 'ferretdb',
  serialized: (documentKey, write) => ferretDbWrites.run(documentKey, write),
  rangesByDay: true,
};

export const MONGODB: StoreDialect = {
  server: 'mongodb',
  serialized: (_documentKey, write) => write(),
  rangesByDay: false,
};

const dialects = new WeakMap<Db, StoreDialect>();

/** The dialect of a database the store connected; FerretDB's (safe everywhere) for any other. */
export function dialectOf(db: Db): StoreDialect {
  return dialects.get(db) ?? FERRETDB;
}

/** Asks the server what it is, and remembers the answer for this database. */
export async function detectDialect(db: Db): Promise<StoreDialect> {
  const info = await db.admin().command({ buildInfo: 1 });
  const dialect = typeof info.ferretdbVersion === 'string' ? FERRETDB : MONGODB;
  dialects.set(db, dialect);
  return dialect;
}

/** Uses `dialect` for this database (the tests run the store's suite under both). */
export function useDialect(db: Db, dialect: StoreDialect): void {
  dialects.set(db, dialect);
}
