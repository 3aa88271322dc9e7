/**
 * The application: the use cases of members, the catalogue, redemptions and orders, over the Temporal client and the
 * stores they need. Routers, webhooks and the Deliverect inbox call it and map its outcomes to HTTP; it is built once
 * per API process (api/compose.ts).
 */
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { LedgerObserver } from '../store/ledger';
import { Catalogue } from './catalogue';
import { DeliverectInbox } from './deliverect-inbox';
import { ServiceHealth } from './health';
import { LoyaltyPrograms } from './loyalty-programs';
import { MemberDesk } from './members';
import { OrderDesk } from './orders';
import { RedemptionActions } from './redemption-actions';
import { RedemptionQuotes } from './redemption-quotes';
import { RedemptionDesk } from './redemptions';
import { ReportDesk } from './reports';
import { WebhookEndpointsDesk } from './webhook-endpoints';

export interface ApplicationDeps {
  config: Config;
  db: Db;
  temporal: Client;
  logger: Logger;
  /** Told of every points change that lost a race for the member's next ledger entry and tries again. */
  ledgerObserver?: LedgerObserver;
  /** A worker of this process polls the redemptions' task queue over `temporal`'s connection (see RedemptionWorkflows). */
  workerInProcess?: boolean;
}

export function createApplication(deps: ApplicationDeps) {
  // One per process: the options it has read are shared by every use case that looks one up.
  const catalogue = new Catalogue(deps);
  return {
    /** Members, their points and their ledger. */
    members: new MemberDesk(deps),
    /** The reward catalogue. */
    catalogue,
    /** Create Redemption, and reading redemptions. */
    redemptions: new RedemptionDesk({ ...deps, catalogue }),
    /** What Create Redemption would decide now, without deciding it. */
    quotes: new RedemptionQuotes({ ...deps, catalogue }),
    /** Cancel, and the operators' actions. */
    actions: new RedemptionActions(deps),
    /** Orders capturing coupons, and their cancellation. */
    orders: new OrderDesk({ ...deps, catalogue }),
    /** Counts and points of redemptions over a range. */
    reports: new ReportDesk(deps),
    /** Deliverect's question: the member's programmes for a basket. */
    loyaltyPrograms: new LoyaltyPrograms(deps),
    /** Deliverect's order and cancellation notifications, recorded before they are handed over, and their dead letters. */
    deliverect: new DeliverectInbox(deps),
    /** The merchant's webhook endpoints and their deliveries. */
    webhookEndpoints: new WebhookEndpointsDesk(deps),
    /** Readiness (Temporal and the store answer) and liveness (the store client is not stuck). */
    health: new ServiceHealth(deps),
  };
}

export type Application = ReturnType<typeof createApplication>;
