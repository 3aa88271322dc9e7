/**
 * Capacity probe of the embedded stack: Temporal workflow throughput and FerretDB insert throughput, each measured
 * against an in-run baseline so that results from different machines can be compared by their ratios.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { MongoClient, type Collection } from 'mongodb';
import { freePort, startMongoServer, startTemporalDevServer, type RunningServer } from '../scripts/servers';
import { resolveGoTool, resolveMongoServer, TEMPORAL_CLI } from '../scripts/tools';
import * as activities from './activities';
import { compare, summarize, type Summary } from './latency';
import type { emptyWorkflow, sequentialActivitiesWorkflow } from './workflows';

const settings = {
  workflows: positiveInt('BENCH_WORKFLOWS', 200),
  workflow_concurrency: positiveInt('BENCH_CONCURRENCY', 20),
  inserts: positiveInt('BENCH_INSERTS', 2000),
  insert_concurrency: 8,
};
const NAMESPACE = 'default';
const resultsDir = fileURLToPath(new URL('./results', import.meta.url));

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}".`);
  return value;
}

/** Runs `count` operations with at most `concurrency` in flight; latency is per operation, throughput is overall. */
async function measure(
  name: string,
  count: number,
  concurrency: number,
  operation: () => Promise<unknown>,
): Promise<Summary> {
  const latencies: number[] = [];
  let started = 0;
  const lane = async () => {
    while (started < count) {
      started++;
      const begin = performance.now();
      await operation();
      latencies.push(performance.now() - begin);
    }
  };
  const begin = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return summarize(name, latencies, (performance.now() - begin) / 1000);
}

/** Warm-up runs first and is discarded: it pays for connection set-up, caches and the first SQLite page growth. */
async function measureAfterWarmUp(name: string, count: number, concurrency: number, operation: () => Promise<unknown>) {
  await measure(name, Math.max(concurrency, Math.ceil(count / 10)), concurrency, operation);
  return measure(name, count, concurrency, operation);
}

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
    let id = 0;
    const run = (workflowType: 'emptyWorkflow' | 'sequentialActivitiesWorkflow') => () =>
      client.workflow.execute<typeof emptyWorkflow | typeof sequentialActivitiesWorkflow>(workflowType, {
        taskQueue,
        workflowId: `${taskQueue}-${++id}`,
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
    const insert = (target: Collection<LedgerEntry>) => {
      let seq = 0;
      return () => {
        seq++;
        return target.insertOne({ member_id: `member-${seq % 100}`, seq, points: 100, created_at: new Date() });
      };
    };
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

function withBaselines(summaries: Summary[], baselineOf: (summary: Summary) => Summary | undefined) {
  return summaries.map((summary) => {
    const baseline = baselineOf(summary);
    return baseline && baseline !== summary ? { ...summary, ...compare(summary, baseline) } : summary;
  });
}

type Row = Summary & { baseline?: string; per_second_ratio?: number; p50_ratio?: number; p99_ratio?: number };

function printTable(rows: Row[]): void {
  const header = ['scenario', 'count', 'seconds', 'per s', 'p50 ms', 'p99 ms', 'rate x', 'p50 x', 'p99 x'];
  const cells = rows.map((row) => [
    row.name,
    ...[row.count, row.seconds, row.per_second, row.p50_ms, row.p99_ms].map(String),
    ...[row.per_second_ratio, row.p50_ratio, row.p99_ratio].map((ratio) => (ratio === undefined ? 'base' : `${ratio}`)),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const format = (line: string[]) =>
    line.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(['', format(header), ...cells.map(format), ''].join('\n'));
  console.log('x columns: ratio to the baseline ("base") of the same group; rate x < 1 and p50 x > 1 mean slower.');
}

async function main(): Promise<void> {
  // The worker's info logs (bundling, state changes) would bury the table.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const temporalCli = await resolveGoTool(TEMPORAL_CLI);
  const mongoBinary = await resolveMongoServer();
  const dataDir = mkdtempSync(join(os.tmpdir(), 'bench-stack-'));
  const servers: RunningServer[] = [];
  try {
    const temporal = await startTemporalDevServer(temporalCli, {
      port: await freePort(),
      uiPort: await freePort(),
      dataDir: join(dataDir, 'temporal'),
      namespace: NAMESPACE,
    });
    servers.push(temporal);
    const mongo = await startMongoServer(mongoBinary, { port: await freePort(), dataDir: join(dataDir, 'mongo') });
    servers.push(mongo);
    console.log(`Temporal at ${temporal.address}, ${mongoBinary.kind} at ${mongo.address}; settings`, settings);

    const workflowRuns = await benchWorkflows(temporal.address);
    const insertRuns = await benchInserts(mongo.uri);
    const rows: Row[] = [
      ...withBaselines(workflowRuns, () => workflowRuns[0]),
      ...withBaselines(insertRuns, (run) => insertRuns[insertRuns.indexOf(run) < 2 ? 0 : 2]),
    ];
    printTable(rows);

    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, 'stack.json');
    const report = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpu_model: os.cpus()[0]?.model,
        total_memory_bytes: os.totalmem(),
        node: process.version,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      },
      servers: {
        temporal_cli: execFileSync(temporalCli, ['--version'], { encoding: 'utf8' }).trim(),
        mongo: mongoBinary.kind,
      },
      settings,
      scenarios: rows,
    };
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`Wrote ${file}`);
  } finally {
    for (const server of servers.reverse()) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
