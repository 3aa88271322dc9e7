/**
 * The embedded store's PostgreSQL must not lose a write it acknowledged when it crashes: inserts through FerretDB race
 * while the postmaster is SIGKILLed, and every insert that was answered must be there once it is back.
 */
import { MongoClient } from 'mongodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePostgres } from '../../scripts/postgres';
import { freePort } from '../../scripts/processes';
import { ferretDbProcess } from '../../scripts/servers';
import { SupervisedProcess } from '../../scripts/supervisor';
import { FERRETDB, resolveGoTool } from '../../scripts/tools';

const WRITERS = 20;

describe('the embedded store under a PostgreSQL crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-durability-'));
  let postgres: SupervisedProcess;
  let ferretdb: SupervisedProcess;
  let client: MongoClient;

  beforeAll(async () => {
    const prepared = await preparePostgres({ port: await freePort(), dataDir: join(dir, 'postgres') });
    postgres = new SupervisedProcess(prepared.spec);
    await postgres.start();
    const port = await freePort();
    ferretdb = new SupervisedProcess(
      ferretDbProcess(await resolveGoTool(FERRETDB), {
        postgresUrl: prepared.url,
        port,
        stateDir: dir,
        logFile: join(dir, 'ferretdb.log'),
      }),
    );
    await ferretdb.start();
    client = await MongoClient.connect(`mongodb://127.0.0.1:${port}`, { serverSelectionTimeoutMS: 2_000 });
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await ferretdb?.stop();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every insert it acknowledged when the postmaster is SIGKILLed under load', async () => {
    const writes = client.db('durability').collection<{ _id: string }>('writes');
    await writes.insertOne({ _id: 'first' });
    const acknowledged: string[] = [];
    let writing = true;
    const writer = async (id: number) => {
      for (let n = 0; writing; n++) {
        const key = `${id}-${n}`;
        try {
          await writes.insertOne({ _id: key });
          acknowledged.push(key);
        } catch {
          // Unanswered while PostgreSQL is down: the insert may or may not have happened.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, id) => writer(id));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const beforeCrash = acknowledged.length;
    await postgres.kill(500);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    writing = false;
    await Promise.all(writers);

    const stored = new Set((await writes.find({}, { projection: { _id: 1 } }).toArray()).map(({ _id }) => _id));
    const lost = acknowledged.filter((key) => !stored.has(key));
    expect(beforeCrash, 'inserts acknowledged before the crash').toBeGreaterThan(100);
    expect(lost, `${lost.length} of ${acknowledged.length} acknowledged inserts lost`).toEqual([]);
  }, 120_000);
});
