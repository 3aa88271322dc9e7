import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Config } from '../config/env';

export interface ActivityDeps {
  db: Db;
  config: Config;
  logger: Logger;
}

export function createActivities(deps: ActivityDeps) {
  return {
    async ping(): Promise<string> {
      await deps.db.command({ ping: 1 });
      return 'pong';
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
