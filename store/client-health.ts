/**
 * Whether this process's store client works, and whether it is stuck: failing for a while although a new client
 * reaches the store at once. A stuck client is the process's to fix by restarting, which liveness and the processes'
 * watchdog (application/health.ts) ask of its supervisor; a store that is down is not (a restart would not help), so it
 * is only unready.
 */
import { MongoClient, type Db } from 'mongodb';
import type { MongoSettings } from '../config/env';
import { ferretDbRegistryProblem } from './ferretdb/registry';

const PING_TIMEOUT_MS = 2_000;

function withinTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
    ),
  ]);
}

export class StoreClientHealth {
  private failingSince: number | undefined;

  constructor(
    private readonly db: Db,
    private readonly settings: MongoSettings,
    /** How long our client may fail while a new one works before it counts as stuck. */
    private readonly stuckAfterMs = 30_000,
  ) {}

  /** What keeps the store from serving this process, or undefined when it does. */
  async problem(): Promise<string | undefined> {
    try {
      await withinTimeout(this.db.command({ ping: 1 }), PING_TIMEOUT_MS);
      const registry = this.settings.postgresUrl
        ? await withinTimeout(
            ferretDbRegistryProblem(this.db.client, this.settings.postgresUrl, this.db.databaseName),
            PING_TIMEOUT_MS,
          )
        : undefined;
      this.failingSince = undefined;
      return registry;
    } catch (error) {
      this.failingSince ??= Date.now();
      return `unreachable: ${(error as Error).message}`;
    }
  }

  /** Whether our client has failed for `stuckAfterMs` while a new client reaches the store now. */
  async isStuck(): Promise<boolean> {
    if ((await this.problem()) === undefined || this.failingSince === undefined) return false;
    if (Date.now() - this.failingSince < this.stuckAfterMs) return false;
    const fresh = new MongoClient(this.settings.uri, { serverSelectionTimeoutMS: PING_TIMEOUT_MS });
    try {
      await withinTimeout(
        fresh.connect().then(() => fresh.db(this.settings.db).command({ ping: 1 })),
        PING_TIMEOUT_MS * 2,
      );
    } catch {
      return false;
    } finally {
      await fresh.close().catch(() => undefined);
    }
    // The store is up: our client gets one more ping, in case it failed while the store was just coming back.
    await this.problem();
    return this.failingSince !== undefined;
  }

  /** Checks every `intervalMs` and calls `onStuck` once the client is stuck; returns what stops the checks. */
  watch(onStuck: () => void, intervalMs = 10_000): () => void {
    let checking = false;
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      void this.isStuck()
        .then((stuck) => stuck && onStuck())
        .finally(() => (checking = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
