/**
 * Capacity probe of the embedded stack: Temporal workflow throughput and FerretDB insert throughput, each measured
 * against an in-run baseline so that results from different machines can be compared by their ratios.
 */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { MongoClient, type Collection } from 'mongodb';
import { installTemporalRuntime } from '../application/temporal-runtime';
import * as activities from './activities';
import type { Summary } from './latency';
import {
  againstBaseline,
  measureAfterWarmUp,
  NAMESPACE,
  positiveInt,
  printTable,
  startServers,
  tearDown,
  writeResults,
  type Teardown,
} from './measure';
import type { emptyWorkflow, sequentialActivitiesWorkflow } from './workflows';

const settings = {
  workflows: positiveInt('BENCH_WORKFLOWS', 200),
  workflow_concurrency: positiveInt('BENCH_CONCURRENCY', 20),
  inserts: positiveInt('BENCH_INSERTS', 2000),
  insert_concurrency: 8,
};

async function benchWorkflows(address: string): Promise<Summary[]> {
  const taskQueue = `bench-stack-${process.pid}-${Date.now()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  try {
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: NAMESPACE,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
      activities,
      shutdownGraceTime: '5 seconds',
    });
    const client = new Client({ connection, namespace: NAMESPACE });
    const run = (workflowType: 'emptyWorkflow' | 'sequentialActivitiesWorkflow') => (index: number) =>
      client.workflow.execute<typeof emptyWorkflow | typeof sequentialActivitiesWorkflow>(workflowType, {
        taskQueue,
        workflowId: `${taskQueue}-${workflowType}-${index}`,
      });
    const { workflows, workflow_concurrency } = settings;
    return await worker.runUntil(async () => [
      await measureAfterWarmUp('workflow: empty', workflows, workflow_concurrency, run('emptyWorkflow')),
      await measureAfterWarmUp(
        'workflow: 4 sequential activities',
        workflows,
        workflow_concurrency,
        run('sequentialActivitiesWorkflow'),
      ),
    ]);
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}

interface LedgerEntry {
  member_id: string;
  seq: number;
  points: number;
  created_at: Date;
}

async function benchInserts(uri: string): Promise<Summary[]> {
  const mongo = new MongoClient(uri);
  try {
    const db = mongo.db('bench_stack');
    const collection = async (name: string, uniqueIndex: boolean) => {
      const created = await db.createCollection<LedgerEntry>(name);
      if (uniqueIndex) await created.createIndex({ member_id: 1, seq: 1 }, { unique: true });
      return created;
    };
    const insert = (target: Collection<LedgerEntry>) => (seq: number) =>
      target.insertOne({ member_id: `member-${seq % 100}`, seq, points: 100, created_at: new Date() });
    const { inserts, insert_concurrency } = settings;
    const scenarios: Array<[string, boolean, number]> = [
      ['insert: _id index only', false, 1],
      ['insert: + unique {member_id, seq}', true, 1],
      [`insert: _id index only, ${insert_concurrency} in flight`, false, insert_concurrency],
      [`insert: + unique {member_id, seq}, ${insert_concurrency} in flight`, true, insert_concurrency],
    ];
    const results: Summary[] = [];
    for (const [index, [name, uniqueIndex, concurrency]] of scenarios.entries()) {
      const target = await collection(`ledger_${index}`, uniqueIndex);
      results.push(await measureAfterWarmUp(name, inserts, concurrency, insert(target)));
    }
    return results;
  } finally {
    await mongo.close();
  }
}

async function main(): Promise<void> {
  // The worker's info logs (bundling, state changes) would bury the table.
  installTemporalRuntime({ logLevel: 'WARN' });
  const teardown: Teardown = [];
  try {
    const { temporal, mongo, versions } = await startServers('stack', teardown);
    console.log(`Temporal at ${temporal.address}, ${versions.mongo} at ${mongo.address}; settings`, settings);

    const workflowRuns = await benchWorkflows(temporal.address);
    const insertRuns = await benchInserts(mongo.uri);
    const rows = [
      ...workflowRuns.map((run) => againstBaseline(run, workflowRuns[0]!)),
      ...insertRuns.map((run, index) => againstBaseline(run, insertRuns[index < 2 ? 0 : 2]!)),
    ];
    printTable(rows);
    writeResults('stack', versions, { settings, scenarios: rows });
  } finally {
    await tearDown(teardown);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
