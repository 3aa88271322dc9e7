/**
 * The one wiring of what every process needs: tracing (when configured), the store's connection, and the Temporal
 * client with tracing's interceptors. api/main.ts, worker/main.ts, npm start and the test harness connect here, hand
 * the services to the compositions (api/compose.ts, worker/compose.ts), and close them with close() after those.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { startTracing, type Tracing } from '../config/tracing';
import { doublingPauseMs } from '../domain/pauses';
import { connectMongo, type MongoHandle } from '../store/connect';
import { isDependencyOutage } from './outages';
import { installTemporalRuntime } from './temporal-runtime';

export interface Services {
  mongo: MongoHandle;
  temporal: Client;
  tracing?: Tracing;
  close(): Promise<void>;
}

/**
 * The pause after the n-th attempt to reach a dependency that is down at start-up: 1 s, doubling, at most 10 s, so that
 * a process started during an outage is up within seconds of its end, however long it lasted.
 */
export function startWaitPauseMs(attempt: number): number {
  return doublingPauseMs(attempt, 1_000, 10_000);
}

/**
 * Connects once, or, given a logger, until the dependency answers: each attempt an outage failed is logged, and any
 * other failure (a malformed address, a conflicting index) ends the start at once.
 */
async function untilAnswered<T>(dependency: string, connect: () => Promise<T>, logger?: Logger): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (error) {
      if (!logger || !isDependencyOutage(error)) throw error;
      const retryInMs = startWaitPauseMs(attempt);
      logger.warn({ err: error, attempt, retryInMs }, `Waiting for ${dependency}, which does not answer yet`);
      await sleep(retryInMs);
    }
  }
}

/**
 * `serviceName` names this process on its spans when OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on; a caller with its
 * own tracing (a test's receiver) passes it instead. Given `waitForDependencies`, a store or Temporal that is down at
 * start-up is waited for, saying so in that log, rather than failing the start: the API and the worker come up by
 * themselves once an outage ends, not after their supervisor's back-off between restarts.
 */
export async function connectServices(
  config: Config,
  options: { serviceName?: string; tracing?: Tracing; waitForDependencies?: Logger } = {},
): Promise<Services> {
  const tracing =
    options.tracing ?? (options.serviceName ? await startTracing(config.tracing, options.serviceName) : undefined);
  const logger = options.waitForDependencies;
  const mongo = await untilAnswered('the store', () => connectMongo(config.mongo), logger);
  installTemporalRuntime();
  // The SDK core's connection (Rust) rather than grpc-js: a request costs the API's event loop a fraction of the CPU.
  const connection = await untilAnswered(
    'Temporal',
    () => NativeConnection.connect({ address: config.temporal.address }),
    logger,
  ).catch(async (error: unknown) => {
    await mongo.client.close();
    throw error;
  });
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    interceptors: tracing?.clientInterceptors,
  });
  return {
    mongo,
    temporal,
    tracing,
    async close() {
      await connection.close();
      await mongo.client.close();
      // Tracing passed in belongs to the caller.
      if (!options.tracing) await tracing?.shutdown();
    },
  };
}
