import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Tracing } from '../config/tracing';
import { fileURLToPath } from 'node:url';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * How the product's workflows are bundled, whether a worker bundles them at start or a bundle is prebuilt. The workflow
 * modules are loaded once into the V8 context that every cached workflow shares (reuseV8Context), instead of once per
 * workflow: a cached workflow then holds only its own state (`npm run bench:cache-memory`: a waiting redemption takes
 * 193 KB of the worker's memory instead of 256 KB). Their module scope must therefore hold no per-workflow state; the
 * SDK freezes shared modules, so a write to one fails the workflow task at once instead of leaking into other workflows.
 */
export const workflowBundleOptions = { workflowsPath, preloadModules: [workflowsPath] };

/** Where `npm run bundle` writes the traced twin of a prebuilt bundle: `x.js` → `x.traced.js`. */
export function tracedBundlePath(bundlePath: string): string {
  return bundlePath.replace(/(\.js)?$/, '.traced.js');
}

export interface WorkerSettings {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  /** A prebuilt bundle (production, tests); without one the worker bundles workflows/ itself at start. */
  workflowBundle?: { code: string };
  /** See Config.workerMaxCachedWorkflows. */
  maxCachedWorkflows?: number;
  /**
   * Tracing's interceptors and span sink. Its workflow interceptors module is bundled when the worker bundles at start;
   * a prebuilt bundle must have been built with it (`npm run bundle` writes one, see tracedBundlePath).
   */
  tracing?: Tracing;
}

export function createWorker(settings: WorkerSettings, overrides: Partial<WorkerOptions> = {}): Promise<Worker> {
  return Worker.create({
    connection: settings.connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities: settings.activities,
    ...(settings.workflowBundle
      ? { workflowBundle: settings.workflowBundle }
      : { workflowsPath, bundlerOptions: { preloadModules: workflowBundleOptions.preloadModules } }),
    shutdownGraceTime: '10s',
    maxCachedWorkflows: settings.maxCachedWorkflows ?? 1000,
    // One V8 context for all cached workflows instead of one each (see workflowBundleOptions).
    reuseV8Context: true,
    ...settings.tracing?.workerOptions,
    ...overrides,
  });
}

/**
 * The worker of merchant webhook deliveries: activities only, on their own task queue, so that endpoints that are slow
 * or down hold its slots and never the redemption worker's. Runs in the same process as the redemption worker.
 */
export function createWebhookWorker(
  settings: Pick<WorkerSettings, 'connection' | 'namespace' | 'activities' | 'tracing'> & { taskQueue: string },
  overrides: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    connection: settings.connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities: settings.activities,
    // A lane cancelled by the shutdown loses nothing: what it has not delivered stays owed, and its next run sends it.
    shutdownGraceTime: '1s',
    // A lane holds one activity only while its endpoint is owed something due: an idle one holds none.
    maxConcurrentActivityTaskExecutions: 1_000,
    ...(settings.tracing ? { interceptors: { activity: settings.tracing.workerOptions.interceptors?.activity } } : {}),
    ...overrides,
  });
}
