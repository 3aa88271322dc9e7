/**
 * The one wiring of what every process needs: tracing (when configured), the store's connection, and the Temporal
 * client with tracing's interceptors. api/main.ts, worker/main.ts, npm start and the test harness connect here, hand
 * the services to the compositions (api/compose.ts, worker/compose.ts), and close them with close() after those.
 */
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config/env';
import { startTracing, type Tracing } from '../config/tracing';
import { connectMongo, type MongoHandle } from '../store/connect';
import { installTemporalRuntime } from './temporal-runtime';

export interface Services {
  mongo: MongoHandle;
  temporal: Client;
  tracing?: Tracing;
  close(): Promise<void>;
}

/**
 * `serviceName` names this process on its spans when OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on; a caller with its
 * own tracing (a test's receiver) passes it instead.
 */
export async function connectServices(
  config: Config,
  options: { serviceName?: string; tracing?: Tracing } = {},
): Promise<Services> {
  const tracing =
    options.tracing ?? (options.serviceName ? await startTracing(config.tracing, options.serviceName) : undefined);
  const mongo = await connectMongo(config.mongo);
  installTemporalRuntime();
  // The SDK core's connection (Rust) rather than grpc-js: a request costs the API's event loop a fraction of the CPU.
  const connection = await NativeConnection.connect({ address: config.temporal.address }).catch(
    async (error: unknown) => {
      await mongo.client.close();
      throw error;
    },
  );
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
