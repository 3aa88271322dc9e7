/**
 * A store of the test's own that the test may kill: PostgreSQL and FerretDB in `dir`, each supervised
 * (scripts/supervisor.ts) as the embedded stack supervises them, so that a killed one is started again.
 */
import { join } from 'node:path';
import { preparePostgres } from '../../scripts/postgres';
import { freePort } from '../../scripts/processes';
import { ferretDbProcess } from '../../scripts/servers';
import { SupervisedProcess } from '../../scripts/supervisor';
import { FERRETDB, resolveGoTool } from '../../scripts/tools';

export interface SupervisedStore {
  postgres: SupervisedProcess;
  /** FerretDB, logging to `store.log` in the directory. */
  store: SupervisedProcess;
  uri: string;
  postgresUrl: string;
  stop(): Promise<void>;
}

export async function startSupervisedStore(dir: string): Promise<SupervisedStore> {
  const prepared = await preparePostgres({ port: await freePort(), dataDir: join(dir, 'postgres'), ephemeral: true });
  const postgres = new SupervisedProcess(prepared.spec);
  await postgres.start();
  const port = await freePort();
  const store = new SupervisedProcess(
    ferretDbProcess(await resolveGoTool(FERRETDB), {
      postgresUrl: prepared.url,
      port,
      stateDir: dir,
      logFile: join(dir, 'store.log'),
    }),
  );
  try {
    await store.start();
  } catch (error) {
    await postgres.stop();
    throw error;
  }
  return {
    postgres,
    store,
    uri: `mongodb://127.0.0.1:${port}`,
    postgresUrl: prepared.url,
    async stop() {
      await store.stop();
      await postgres.stop();
    },
  };
}
