/**
 * The API process, composed once: the application over the store and Temporal, the Express app with its metrics,
 * listening, and the Deliverect inbox handing to Temporal what it recorded but could not hand over yet. api/main.ts, `npm start` and the
 * test harness all serve the API from here.
 */
import type { Logger } from 'pino';
import { createApplication, type Application } from '../application';
import { GaugeReadings } from '../application/gauge-readings';
import type { Services } from '../application/wiring';
import type { Config } from '../config/env';
import { createApp } from './app';
import { createMetrics } from './metrics';
import { closeServer, listen } from './server';

export interface ApiComposition {
  logger: Logger;
  /** Connected by the caller, who closes them (`npm start` shares its own with the worker, a test its stack's). */
  services: Pick<Services, 'mongo' | 'temporal'>;
  /** Where it listens: 0 for any free port. PORT by default. */
  port?: number;
  /**
   * A worker of this process polls the redemptions' task queue over `services.temporal`'s connection (as in `npm
   * start`): a redemption that ends with its first step is started eagerly, its first task run here at once.
   */
  workerInProcess?: boolean;
}

export interface ComposedApi {
  /** Where this process answers (`http://127.0.0.1:<port>`). */
  url: string;
  application: Application;
  /** Stops handing notifications over and serving. */
  close(): Promise<void>;
}

export async function composeApi(config: Config, composition: ApiComposition): Promise<ComposedApi> {
  const { logger } = composition;
  const { mongo, temporal } = composition.services;
  const metrics = createMetrics(new GaugeReadings(mongo.db));
  const application = createApplication({
    config,
    db: mongo.db,
    temporal,
    logger,
    ledgerObserver: { contentionRetry: () => metrics.ledgerContentionRetries.inc({ process: 'api' }) },
    workerInProcess: composition.workerInProcess,
  });
  const app = createApp({ config, logger, application, metrics });
  const { server, url } = await listen(app, composition.port ?? config.port);
  const stopHandingOver = application.deliverect.handOverContinuously();
  return {
    url,
    application,
    async close() {
      stopHandingOver();
      await closeServer(server);
    },
  };
}
