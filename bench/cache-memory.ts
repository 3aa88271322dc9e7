/**
 * What a redemption awaiting its order costs the worker's memory while its workflow stays cached, so that
 * WORKER_MAX_CACHED_WORKFLOWS can be sized to hold the redemptions a merchant keeps waiting (an evicted one is replayed
 * when its order comes). The product's worker runs as its own process on the product's workflow bundle, whose modules
 * every cached workflow shares (worker/create-worker.ts), against the same bundle without that, in which each workflow
 * loads the modules for itself: the baseline of the same run. For each, the worker's resident memory with a few
 * waiting and with BENCH_WAITING more, all cached; the difference per waiting redemption is the figure.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createMemberWithPoints, createOption } from '../test/harness/fixtures';
import { workflowBundleOptions, workflowsPath } from '../worker/create-worker';
import { answered, apiClient, redemptionIn } from './api-client';
import { round } from './latency';
import { measure, NAMESPACE, positiveInt, startServers, tearDown, writeResults, type Teardown } from './measure';
import { memoryOf, startProduct } from './product-processes';

const settings = {
  few: positiveInt('BENCH_FEW_WAITING', 200),
  waiting: positiveInt('BENCH_WAITING', 3_000),
  concurrency: positiveInt('BENCH_CONCURRENCY', 20),
  members: 50,
};
const API_KEY = 'bench-api-key';
/** How long the worker is left to settle before its memory is read. */
const SETTLE_MS = 3_000;

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

interface Variant {
  name: string;
  rss_mb_few_waiting: number;
  rss_mb_many_waiting: number;
  kb_per_waiting_redemption: number;
  redemptions_per_second: number;
}

async function measureVariant(
  name: string,
  bundlePath: string,
  servers: Awaited<ReturnType<typeof startServers>>,
  logFile: string,
): Promise<Variant> {
  const teardown: Teardown = [];
  try {
    const tag = name.replace(/\W+/g, '-');
    const env = {
      API_KEYS: API_KEY,
      TEMPORAL_ADDRESS: servers.temporal.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: `bench-cache-${tag}-${process.pid}`,
      MONGODB_URI: servers.mongo.uri,
      FERRETDB_POSTGRESQL_URL: servers.mongo.postgresUrl ?? '',
      MONGODB_DB: `bench_cache_${tag.replace(/-/g, '_')}`,
      RECONCILE_SCHEDULE: 'off',
      POINTS_EXPIRY_INTERVAL_SECONDS: 'off',
      WORKFLOW_BUNDLE_PATH: bundlePath,
      // Every waiting redemption stays cached.
      WORKER_MAX_CACHED_WORKFLOWS: String(2 * (settings.few + settings.waiting)),
    };
    const { mongo, worker, url } = await startProduct(env, {}, logFile, teardown);

    const api = apiClient(url, API_KEY);
    const option = await createOption(mongo.db, { cost_points: 1 });
    const emails: string[] = [];
    for (let index = 0; index < settings.members; index++) {
      emails.push((await createMemberWithPoints(mongo.db, settings.few + settings.waiting)).email!);
    }
    const redeemDelayed = async (index: number) => {
      const body = {
        redemption_option_id: option.id,
        customer_email: emails[index % emails.length]!,
        delay_points_deduction: true,
      };
      redemptionIn(await answered(api.POST('/v1/redemptions', { body }), 201), 'awaiting_order');
    };
    const settledMemory = async () => {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      return memoryOf(worker.pid!).rss_mb;
    };

    await measure(`${name}: ${settings.few} waiting`, settings.few, settings.concurrency, redeemDelayed);
    const few = await settledMemory();
    const made = await measure(
      `${name}: ${settings.waiting} more waiting`,
      settings.waiting,
      settings.concurrency,
      (i) => redeemDelayed(settings.few + i),
    );
    const many = await settledMemory();
    return {
      name,
      rss_mb_few_waiting: few,
      rss_mb_many_waiting: many,
      kb_per_waiting_redemption: round(((many - few) * 1024) / settings.waiting, 1),
      redemptions_per_second: made.per_second,
    };
  } finally {
    await tearDown(teardown);
  }
}

async function main(): Promise<void> {
  const teardown: Teardown = [];
  try {
    const servers = await startServers('cache-memory', teardown);
    console.log(`Temporal at ${servers.temporal.address}, ${servers.versions.mongo}; settings`, settings);
    const dir = os.tmpdir();
    const bundles = {
      'modules loaded by each workflow (baseline)': await bundleWorkflowCode({ workflowsPath, logger: quiet }),
      'modules shared by every workflow (the product)': await bundleWorkflowCode({
        ...workflowBundleOptions,
        logger: quiet,
      }),
    };
    const variants: Variant[] = [];
    for (const [name, { code }] of Object.entries(bundles)) {
      const bundlePath = join(dir, `bench-cache-memory-${process.pid}-${variants.length}.js`);
      writeFileSync(bundlePath, code);
      teardown.push(async () => rmSync(bundlePath, { force: true }));
      const logFile = join(dir, `bench-cache-memory-worker-${process.pid}.log`);
      variants.push(await measureVariant(name, bundlePath, servers, logFile));
      console.log(variants.at(-1));
    }
    const [baseline, product] = variants as [Variant, Variant];
    const ratio = round(product.kb_per_waiting_redemption / baseline.kb_per_waiting_redemption, 2);
    console.log(
      `Worker memory per cached waiting redemption: ${product.kb_per_waiting_redemption} KB, against ` +
        `${baseline.kb_per_waiting_redemption} KB with each workflow loading its own modules (x${ratio}).`,
    );
    writeResults('cache-memory', servers.versions, { settings, variants, kb_ratio_to_baseline: ratio });
  } finally {
    await tearDown(teardown);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
