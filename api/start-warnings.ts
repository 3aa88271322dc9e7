import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { hasEveryScope } from '../domain/scopes';

/**
 * What an API outside the embedded stack warns of at start: keys that can do everything, which a leak should never
 * hand over, and webhook secrets stored unsealed.
 */
export function warnOfLaxSettings(config: Config, logger: Logger): void {
  for (const { client, scopes } of config.apiKeys) {
    if (hasEveryScope(scopes)) {
      logger.warn(
        { client },
        `An API key of client ${client} has every scope; give each key only the scopes its holder needs (API_KEYS entries client:key:scope+scope).`,
      );
    }
  }
  if (!config.secrets.key) {
    logger.warn(
      'SECRETS_ENCRYPTION_KEY is not set: webhook signing secrets are stored unsealed. Set it in production.',
    );
  }
}
