/**
 * Starts the servers every integration suite shares — a Temporal dev server (through @temporalio/testing, with the
 * provisioned CLI) and a MongoDB-protocol server — on free ports in a temp dir, bundles the workflows once, and
 * tears it all down at the end. Suites isolate themselves with their own task queue and database name.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startMongoServer, startTemporal } from '../../scripts/servers';
import { resolveMongoServer, resolveTemporalExecutable } from '../../scripts/tools';
import { workflowBundleOptions } from '../../worker/create-worker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    mongoUri: string;
    /** The PostgreSQL under FerretDB; empty when the store is a real mongod. */
    postgresUrl: string;
    workflowBundlePath: string;
  }
}

async function requireBinaries() {
  try {
    return { temporal: await resolveTemporalExecutable(), mongo: await resolveMongoServer() };
  } catch (error) {
    throw new Error(
      `The integration tests need their servers. ${(error as Error).message} Then run \`npm test\` again.`,
    );
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'orchestrator-test-'));
  const binaries = await requireBinaries();

  // One after the other: the Temporal SDK gives its dev server only 5 s to come up, and PostgreSQL's first start
  // (initdb) competes for the same two cores.
  const temporal = await startTemporal(binaries.temporal, {
    port: await freePort(),
    dbFilename: join(dir, 'temporal.db'),
    namespace: 'default',
  });
  const mongo = await startMongoServer(binaries.mongo, {
    port: await freePort(),
    postgresPort: await freePort(),
    dataDir: join(dir, 'mongo'),
    ephemeral: true,
  }).catch(async (error: unknown) => {
    await temporal.stop();
    throw error;
  });

  const bundle = await bundleWorkflowCode({ ...workflowBundleOptions, logger: quietBundlerLogger });
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', temporal.address);
  project.provide('mongoUri', mongo.uri);
  project.provide('postgresUrl', mongo.postgresUrl ?? '');
  project.provide('workflowBundlePath', workflowBundlePath);

  return async () => {
    await temporal.stop();
    await mongo.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
