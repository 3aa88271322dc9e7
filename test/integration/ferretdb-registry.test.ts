/**
 * FerretDB v1 loses track of a database when its PostgreSQL fails while FerretDB loads its metadata: it then lists none
 * of that database's collections until it is restarted. Readiness must say so, and the supervisor must restart it.
 */
import { MongoClient } from 'mongodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../store/ledger';
import { Members } from '../../store/members';
import { StoreViewIncompleteError } from '../../store/outage';
import { startPostgres, type RunningPostgres } from '../../scripts/postgres';
import { freePort } from '../../scripts/processes';
import { ferretDbProcess } from '../../scripts/servers';
import { SupervisedProcess } from '../../scripts/supervisor';
import { FERRETDB, resolveGoTool } from '../../scripts/tools';
import { StoreClientHealth } from '../../store/client-health';
import { startDroppingProxy, type DroppingProxy } from '../harness/dropping-proxy';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a FerretDB that lost track of a database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferretdb-registry-'));
  let postgres: RunningPostgres;
  let proxy: DroppingProxy;
  let ferretdb: SupervisedProcess;
  let client: MongoClient;
  let postgresUrl: string;
  const restarts: string[] = [];

  beforeAll(async () => {
    postgres = await startPostgres({ port: await freePort(), dataDir: join(dir, 'postgres'), ephemeral: true });
    // FerretDB reaches its PostgreSQL through a proxy that can cut the connection of one query.
    proxy = await startDroppingProxy({ host: '127.0.0.1', port: Number(new URL(postgres.url).port) });
    postgresUrl = `postgres://postgres@127.0.0.1:${proxy.port}/postgres`;
    const port = await freePort();
    ferretdb = new SupervisedProcess(
      ferretDbProcess(await resolveGoTool(FERRETDB), {
        postgresUrl,
        port,
        stateDir: dir,
        logFile: join(dir, 'ferretdb.log'),
      }),
    );
    ferretdb.onCrash = (exit) => restarts.push(exit);
    await ferretdb.start();
    client = await MongoClient.connect(`mongodb://127.0.0.1:${port}`, { serverSelectionTimeoutMS: 2_000 });
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await ferretdb?.stop();
    await proxy?.close();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is reported by readiness and restarted by its supervisor, after which it lists the database again', async () => {
    for (const database of ['alpha', 'victim']) await client.db(database).collection('members').insertOne({ n: 1 });
    const victim = client.db('victim');
    const ledger = new Ledger(victim);
    await ledger.append({ memberId: 'held', type: 'EARN', points: 100, idempotencyKey: 'held:earn' });
    await ledger.append({
      memberId: 'held',
      type: 'HOLD',
      points: 100,
      idempotencyKey: 'held:hold',
      redemptionId: 'r',
    });
    const health = new StoreClientHealth(victim, { uri: 'unused', db: 'victim', postgresUrl });
    expect(await health.problem()).toBeUndefined();

    // FerretDB restarts, and PostgreSQL drops the connection on which it loads the metadata of `victim`.
    proxy.dropNext((chunk) => chunk.includes('"victim"."_ferretdb_database_metadata"'));
    await ferretdb.kill(100);
    // The request that makes FerretDB load its metadata fails with the dropped connection.
    await expect(client.db('alpha').collection('members').countDocuments()).rejects.toThrow(/reset/);
    expect(proxy.drops).toBe(1);
    expect(await victim.listCollections().toArray()).toEqual([]);
    expect(await health.problem()).toMatch(/FerretDB lists none of the collections of victim/);
    // It finds nothing in the collection it no longer lists: the store reads that stand behind a refusal (no such
    // member, coupon, option or order) say it is down instead (a chaos run answered member_not_found here).
    expect(await victim.collection('members').findOne({ n: 1 })).toBeNull();
    await expect(new Members(victim).findByIdentifier({ field: 'email', value: 'x@example.com' })).rejects.toThrow(
      StoreViewIncompleteError,
    );
    // Nor is a ledger entry refused for want of points it cannot see (a chaos run failed a release of held points),
    // nor are a member's points read as none.
    await expect(ledger.balances('held')).rejects.toThrow(StoreViewIncompleteError);
    await expect(
      ledger.append({
        memberId: 'held',
        type: 'RELEASE',
        points: 100,
        idempotencyKey: 'held:release',
        redemptionId: 'r',
      }),
    ).rejects.toThrow(StoreViewIncompleteError);

    const deadline = Date.now() + 30_000;
    while (
      (
        await victim
          .listCollections()
          .toArray()
          .catch(() => [])
      ).length === 0 &&
      Date.now() < deadline
    ) {
      await sleep(500);
    }
    expect(restarts.some((exit) => exit.startsWith('is unhealthy'))).toBe(true);
    expect((await victim.listCollections().toArray()).map(({ name }) => name).sort()).toEqual([
      'ledger',
      'ledger_heads',
      'members',
    ]);
    expect(await victim.collection('members').countDocuments()).toBe(1);
    expect(await health.problem()).toBeUndefined();
    const released = await ledger.append({
      memberId: 'held',
      type: 'RELEASE',
      points: 100,
      idempotencyKey: 'held:release',
      redemptionId: 'r',
    });
    expect(released.entry).toMatchObject({ seq: 3, balance_after: 100, held_after: 0 });
  }, 90_000);
});
