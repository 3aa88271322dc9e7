import type { MetricMeter } from '@temporalio/common';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { createDeliverectHandOff, type DeliverectHandOffPorts } from './deliverect-hand-off';
import { createMerchantEvents, type NudgeWebhookLane } from './merchant-events';
import { createWorkerMetrics } from './metrics';
import { createPartnerFulfilment } from './partner-fulfilment';
import { createPointsExpiryActivities } from './points-expiry';
import { createReconciliationActivities, type ReconcileLedger } from './reconciliation';
import { createRedemptionSteps } from './redemption-steps';
import { stuckLimits } from '../domain/stuck';

export interface ActivityDeps {
  db: Db;
  config: Config;
  logger: Logger;
  /**
   * Ports to use cases, given by the worker's composition (application/webhook-lanes.ts, application/reconciliation.ts,
   * application/deliverect-hand-off.ts).
   */
  nudgeWebhookLane: NudgeWebhookLane;
  reconcileLedger: ReconcileLedger;
  deliverectHandOff: DeliverectHandOffPorts;
  /** Where business metrics go: the worker runtime's meter (`Runtime.instance().metricMeter`); none if omitted. */
  meter?: MetricMeter;
}

export function createActivities(deps: ActivityDeps) {
  const metrics = createWorkerMetrics(deps.meter);
  return {
    ...createRedemptionSteps(deps.db, metrics, createMerchantEvents(deps.db, deps.nudgeWebhookLane, deps.config)),
    ...createPartnerFulfilment(deps.db, deps.config, metrics),
    ...createReconciliationActivities(deps.reconcileLedger, stuckLimits(deps.config)),
    ...createDeliverectHandOff(deps.deliverectHandOff),
    ...createPointsExpiryActivities(deps.db),
  };
}

export type Activities = ReturnType<typeof createActivities>;
