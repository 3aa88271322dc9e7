/**
 * Readiness asks FerretDB's PostgreSQL what it holds (store/ferretdb/registry.ts). PostgreSQL killed while it answers
 * must fail that one probe, not the process: before, the client's unheard 'error' event ended the API (store-restarts
 * saw it under load, its API restarting, then unable to start while PostgreSQL was down).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { preparePostgres } from '../../scripts/postgres';
import { freePort } from '../../scripts/processes';
import { SupervisedProcess } from '../../scripts/supervisor';
import { withPostgres } from '../../store/ferretdb/lookup-indexes';

describe("a probe of FerretDB's PostgreSQL", () => {
  const dir = mkdtempSync(join(tmpdir(), 'postgres-probe-'));
  let postgres: SupervisedProcess | undefined;

  afterAll(async () => {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails, leaving the process running, when PostgreSQL is killed while it answers', async () => {
    const prepared = await preparePostgres({ port: await freePort(), dataDir: join(dir, 'postgres'), ephemeral: true });
    postgres = new SupervisedProcess(prepared.spec);
    await postgres.start();
    const probe = withPostgres(prepared.url, (client) => client.query('SELECT pg_sleep(10)')).then(
      () => 'answered',
      (error: Error) => `failed: ${error.message}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    await postgres.kill(async () => {
      expect(await probe).toMatch(/^failed: .*terminated/);
    });

    // Back, it answers the next probe.
    const { rows } = await withPostgres(prepared.url, (client) => client.query<{ one: number }>('SELECT 1 AS one'));
    expect(rows).toEqual([{ one: 1 }]);
  }, 120_000);
});
