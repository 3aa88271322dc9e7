/**
 * The OpenAPI document the API serves at /openapi.json, built without a server, a store or Temporal: the app is
 * described over clients that are never used (neither the store's nor Temporal's connects before its first call).
 * `npm run client:generate` writes the typed client's types from it.
 */
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { createApplication } from '../application';
import { GaugeReadings } from '../application/gauge-readings';
import { loadConfig } from '../config/env';
import { describeApp } from './app';
import { createMetrics } from './metrics';

export function openApiDocument() {
  // The development defaults: the document says the same whatever the keys and secrets, and this app serves nobody.
  const config = loadConfig({}, { embedded: true });
  const logger = pino({ enabled: false });
  const db = new MongoClient(config.mongo.uri).db(config.mongo.db);
  const temporal = new Client({ connection: Connection.lazy({ address: config.temporal.address }) });
  const application = createApplication({ config, db, temporal, logger });
  return describeApp({ config, logger, application, metrics: createMetrics(new GaugeReadings(db)) });
}
