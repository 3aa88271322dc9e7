/**
 * What every benchmark shares: its settings, starting and stopping the embedded stack, running a scenario, and
 * presenting and recording its results. It runs nothing on import, unlike the benchmarks themselves.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { freePort, startMongoServer, startTemporal } from '../scripts/servers';
import { resolveGoTool, resolveMongoServer, TEMPORAL_CLI } from '../scripts/tools';
import { compare, summarize, type Summary } from './latency';

export const NAMESPACE = 'default';

export function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}".`);
  return value;
}

/** Cleanup steps, run in reverse order of acquisition whether the run succeeded or not. */
export type Teardown = Array<() => Promise<unknown>>;

export async function tearDown(teardown: Teardown): Promise<void> {
  for (const step of teardown.reverse()) await step().catch((error: unknown) => console.error('teardown:', error));
}

/** A Temporal dev server and a MongoDB-compatible server on free ports, in a data directory of their own. */
export async function startServers(name: string, teardown: Teardown) {
  const temporalCli = await resolveGoTool(TEMPORAL_CLI);
  const mongoBinary = await resolveMongoServer();
  const dataDir = mkdtempSync(join(os.tmpdir(), `bench-${name}-`));
  teardown.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const temporal = await startTemporal(
    { type: 'existing-path', path: temporalCli },
    { port: await freePort(), dbFilename: join(dataDir, 'temporal', 'temporal.db'), namespace: NAMESPACE },
  );
  teardown.push(() => temporal.stop());
  const mongo = await startMongoServer(mongoBinary, {
    port: await freePort(),
    postgresPort: await freePort(),
    // Durable like `npm start`'s store (fsync on, synchronous commits): the benchmarks measure what users run.
    dataDir: join(dataDir, 'mongo'),
  });
  teardown.push(() => mongo.stop());
  const versions = {
    temporal_cli: execFileSync(temporalCli, ['--version'], { encoding: 'utf8' }).trim(),
    mongo: mongoBinary.kind,
  };
  return { temporal, mongo, versions };
}

/**
 * Runs operations 0 … count-1 with at most `concurrency` in flight; latency is per operation, throughput is overall.
 * The first failure stops new operations from starting, lets those in flight finish, and is then thrown, so that a
 * broken scenario neither hides behind an average nor leaves work running behind the teardown.
 */
export async function measure(
  name: string,
  count: number,
  concurrency: number,
  operation: (index: number) => Promise<unknown>,
): Promise<Summary> {
  const latencies: number[] = [];
  const failures: unknown[] = [];
  let started = 0;
  const lane = async () => {
    while (started < count && failures.length === 0) {
      const index = started++;
      const begin = performance.now();
      try {
        await operation(index);
      } catch (error) {
        failures.push(error);
        return;
      }
      latencies.push(performance.now() - begin);
    }
  };
  const begin = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  if (failures.length > 0) {
    throw new Error(`${name}: operation failed after ${latencies.length} of ${count} succeeded`, {
      cause: failures[0],
    });
  }
  return summarize(name, latencies, (performance.now() - begin) / 1000);
}

/** How many warm-up operations precede a measured run of `count`: they pay for connections, caches and JIT. */
export function warmUpCount(count: number, concurrency: number): number {
  return Math.min(count, Math.max(concurrency, Math.ceil(count / 10)));
}

/**
 * Warms up with operations [0, w) and discards them, then measures operations [w, w + count), so that each index is
 * used once. `beforeMeasuring` runs in between, to read counters that should only count the measured part.
 */
export async function measureAfterWarmUp(
  name: string,
  count: number,
  concurrency: number,
  operation: (index: number) => Promise<unknown>,
  beforeMeasuring?: () => Promise<void>,
): Promise<Summary> {
  const warmUp = warmUpCount(count, concurrency);
  await measure(`${name} (warm-up)`, warmUp, concurrency, operation);
  await beforeMeasuring?.();
  return measure(name, count, concurrency, (index) => operation(warmUp + index));
}

export type Row = Summary &
  Partial<ReturnType<typeof compare>> & {
    /** History events of one of the scenario's workflows, once its work is done. */
    history_events?: number;
    /**
     * CPU seconds per operation of each process and of the bench process's threads by role (bench/cpu.ts): where the
     * time goes.
     */
    cpu_seconds_per_operation?: Record<string, number>;
    /** What PostgreSQL's autovacuum workers did while the scenario was measured (none, in a clean measurement). */
    autovacuum_while_measuring?: string[];
    /** Commands the product's processes (API and worker) sent to the store, per operation. */
    store_round_trips?: number;
    /** The round trips by process. */
    store_round_trips_by_process?: Record<string, number>;
    /** The round trips by process, command and collection (`worker: insert ledger`), per operation. */
    store_round_trips_by_command?: Record<string, number>;
    /** Throughput and p50 against the workflow of 4 sequential no-op activities: the least a 4-step saga costs. */
    versus_4_activities?: { per_second_ratio: number; p50_ratio: number };
    /** Ledger insert attempts per ledger entry written (optimistic-concurrency retries show as > 1). */
    ledger_attempts_per_entry?: number;
    /** Appends that lost MAX_ATTEMPTS races in a row, gave up with LedgerContentionError, and were tried again. */
    ledger_give_ups?: number;
    /** 201 answers slower than the product's default REDEMPTION_SYNC_WAIT_MS, which would have answered 202. */
    answers_over_default_sync_wait?: number;
  };

export function againstBaseline(row: Row, baseline: Summary): Row {
  return row === baseline ? row : { ...row, ...compare(row, baseline) };
}

export function againstActivitiesBaseline(row: Row, activities: Summary): Row {
  const { per_second_ratio, p50_ratio } = compare(row, activities);
  return { ...row, versus_4_activities: { per_second_ratio, p50_ratio } };
}

interface Column {
  title: string;
  cell: (row: Row) => string | number | undefined;
  /** Set for a column that only some benchmarks fill: it and its note are left out when no row has a value. */
  note?: string;
}

const COLUMNS: Column[] = [
  { title: 'scenario', cell: (row) => row.name },
  { title: 'count', cell: (row) => row.count },
  { title: 'seconds', cell: (row) => row.seconds },
  { title: 'per s', cell: (row) => row.per_second },
  { title: 'p50 ms', cell: (row) => row.p50_ms },
  { title: 'p99 ms', cell: (row) => row.p99_ms },
  { title: 'rate x', cell: (row) => row.per_second_ratio ?? 'base' },
  { title: 'p50 x', cell: (row) => row.p50_ratio ?? 'base' },
  { title: 'p99 x', cell: (row) => row.p99_ratio ?? 'base' },
  {
    title: 'rate x4a',
    cell: (row) => row.versus_4_activities?.per_second_ratio,
    note: 'rate x4a: throughput as a ratio to the workflow of 4 sequential no-op activities.',
  },
  {
    title: 'events',
    cell: (row) => row.history_events,
    note: "events: history events of one of the scenario's workflows once its work is done.",
  },
  {
    title: 'trips',
    cell: (row) => row.store_round_trips,
    note: "trips: commands the API's and the worker's MongoClients sent, per operation (store round trips).",
  },
  {
    title: 'tries',
    cell: (row) => row.ledger_attempts_per_entry,
    note: 'tries: ledger insert attempts per ledger entry written; above 1 is optimistic-concurrency retries.',
  },
  {
    title: 'gave up',
    cell: (row) => row.ledger_give_ups,
    note: "gave up: appends that hit the ledger's attempt limit (LedgerContentionError) and were tried again.",
  },
  {
    title: 'over wait',
    cell: (row) => row.answers_over_default_sync_wait,
    note: 'over wait: 201 answers slower than the default REDEMPTION_SYNC_WAIT_MS, which would have been 202.',
  },
];

export function printTable(rows: Row[]): void {
  const columns = COLUMNS.filter(({ note, cell }) => !note || rows.some((row) => cell(row) !== undefined));
  const header = columns.map(({ title }) => title);
  const cells = rows.map((row) => columns.map(({ cell }) => `${cell(row) ?? '-'}`));
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const format = (line: string[]) =>
    line.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(['', format(header), ...cells.map(format), ''].join('\n'));
  console.log('x columns: ratio to the baseline ("base") of the same group; rate x < 1 and p50 x > 1 mean slower.');
  for (const { note } of columns) if (note) console.log(note);
}

/** Writes bench/results/<name>.json: when, on what machine and servers, then the benchmark's own fields. */
export function writeResults(name: string, servers: Record<string, string>, fields: Record<string, unknown>): void {
  const resultsDir = fileURLToPath(new URL('./results', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  const machine = {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    total_memory_bytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
  const report = { date: new Date().toISOString(), machine, servers, ...fields };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`Wrote ${file}`);
}
