/**
 * Whether this process can serve (readiness: Temporal and the store answer, and the store lists what it holds) and
 * whether it should be restarted (liveness: its store client is stuck although the store is up).
 */
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { MongoSettings } from '../config/env';
import { StoreClientHealth } from '../store/client-health';

const TEMPORAL_TIMEOUT_MS = 2_000;

export interface Readiness {
  ready: boolean;
  checks: { temporal: string; mongodb: string };
}

export class ServiceHealth {
  private readonly store: StoreClientHealth;

  constructor(private readonly deps: { db: Db; temporal: Client; config: { mongo: MongoSettings } }) {
    this.store = new StoreClientHealth(deps.db, deps.config.mongo);
  }

  async readiness(): Promise<Readiness> {
    const [temporal, mongodb] = await Promise.all([this.temporalProblem(), this.store.problem()]);
    return {
      ready: temporal === undefined && mongodb === undefined,
      checks: { temporal: temporal ?? 'ok', mongodb: mongodb ?? 'ok' },
    };
  }

  /** True when the process should be restarted: its store client failed for a while although a new one works. */
  isStuck(): Promise<boolean> {
    return this.store.isStuck();
  }

  /** Calls `onStuck` once isStuck() says so, checking every 10 s; returns what stops the watch. */
  watchStore(onStuck: () => void): () => void {
    return this.store.watch(onStuck);
  }

  private async temporalProblem(): Promise<string | undefined> {
    try {
      await Promise.race([
        this.deps.temporal.workflowService.getSystemInfo({}),
        new Promise((_, reject) =>
          setTimeout(
            () => reject(new Error(`no answer within ${TEMPORAL_TIMEOUT_MS} ms`)),
            TEMPORAL_TIMEOUT_MS,
          ).unref(),
        ),
      ]);
      return undefined;
    } catch (error) {
      return `unreachable: ${(error as Error).message}`;
    }
  }
}

/**
 * The API's and the worker's watchdog, on the process's ServiceHealth (the one the API's /healthz answers from): once
 * its store client is stuck, it says so and calls `exit`, which stops the process with exit code 1 for its supervisor
 * to start it again. Returns what stops the watch.
 */
export function exitWhenStuck(
  health: Pick<ServiceHealth, 'watchStore'>,
  logger: { error(message: string): void },
  exit: () => void,
): () => void {
  return health.watchStore(() => {
    logger.error('the store client has not recovered although the store answers a new client; exiting to be restarted');
    process.exitCode = 1;
    exit();
  });
}
