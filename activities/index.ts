import type { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { createMerchantEvents } from './merchant-events';
import { createWorkerMetrics } from './metrics';
import { createPartnerFulfilment } from './partner-fulfilment';
import { createReconciliationActivities } from './reconciliation';
import { createRedemptionSteps } from './redemption-steps';
import { stuckLimits } from '../domain/stuck';

export interface ActivityDeps {
  db: Db;
  config: Config;
  logger: Logger;
  /** Starts the lanes that deliver merchant webhooks. */
  temporal: Client;
  /** Where business metrics go: the worker runtime's meter (`Runtime.instance().metricMeter`); none if omitted. */
  meter?: MetricMeter;
}

export function createActivities(deps: ActivityDeps) {
  const metrics = createWorkerMetrics(deps.meter);
  return {
    ...createRedemptionSteps(deps.db, metrics, createMerchantEvents(deps.db, deps.temporal, deps.config, deps.logger)),
    ...createPartnerFulfilment(deps.db, deps.config, metrics),
    ...createReconciliationActivities(deps.db, stuckLimits(deps.config)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
