import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { createPartnerFulfilment } from './partner-fulfilment';
import { createRedemptionSteps } from './redemption-steps';

export interface ActivityDeps {
  db: Db;
  config: Config;
  logger: Logger;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRedemptionSteps(deps.db),
    ...createPartnerFulfilment(deps.db, deps.config),
  };
}

export type Activities = ReturnType<typeof createActivities>;
