/**
 * The application: the use cases of redemptions and orders, over the Temporal client and the stores they need. Routers,
 * webhooks and the Deliverect inbox call it and map its outcomes to HTTP; it is built once per process.
 */
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import { LoyaltyPrograms } from './loyalty-programs';
import { OrderDesk } from './orders';
import { RedemptionActions } from './redemption-actions';
import { RedemptionDesk } from './redemptions';
import { ReportDesk } from './reports';
import { WebhookEndpointsDesk } from './webhook-endpoints';

export interface ApplicationDeps {
  config: Config;
  db: Db;
  temporal: Client;
}

export function createApplication(deps: ApplicationDeps) {
  return {
    /** Create Redemption. */
    redemptions: new RedemptionDesk(deps),
    /** Cancel, and the operators' actions. */
    actions: new RedemptionActions(deps),
    /** Orders capturing coupons, and their cancellation. */
    orders: new OrderDesk(deps),
    /** Counts and points of redemptions over a range. */
    reports: new ReportDesk(deps),
    /** Deliverect's question: the member's programmes for a basket. */
    loyaltyPrograms: new LoyaltyPrograms(deps),
    /** The merchant's webhook endpoints and their deliveries. */
    webhookEndpoints: new WebhookEndpointsDesk(deps),
  };
}

export type Application = ReturnType<typeof createApplication>;
