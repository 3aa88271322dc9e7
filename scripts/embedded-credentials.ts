/**
 * The development credentials of a stack on one's own machine (`npm start`, `npm run start:cluster`): what the
 * environment does not set is filled in, each with a warning, so that the demo can call the API and sign partners'
 * webhooks. A receiver on this machine is the point there, so private webhook URLs are allowed unless told otherwise.
 */
import { DEV_API_KEY, devInboundSecret } from '../config/env';
import { PARTNER_NAMES } from '../domain/partners';

export const DEV_METRICS_TOKEN = 'dev-metrics-token';

/** The development key that seals webhook secrets on one's own machine (32 bytes, base64). */
const DEV_SECRETS_KEY = Buffer.from('development-key-webhook-secrets!').toString('base64');

export function embeddedCredentials(env: NodeJS.ProcessEnv): { env: Record<string, string>; warnings: string[] } {
  const filled: Record<string, string> = {};
  const warnings: string[] = [];
  if (!env.API_KEYS?.trim()) {
    filled.API_KEYS = DEV_API_KEY;
    warnings.push(
      `API_KEYS is not set: /v1 accepts the development key "${DEV_API_KEY}". Set API_KEYS outside development.`,
    );
  }
  const withoutSecret = PARTNER_NAMES.filter((name) => !env[`${name.toUpperCase()}_INBOUND_SECRET`]?.trim());
  for (const name of withoutSecret) filled[`${name.toUpperCase()}_INBOUND_SECRET`] = devInboundSecret(name);
  if (withoutSecret.length > 0) {
    warnings.push(
      `No <P>_INBOUND_SECRET for ${withoutSecret.join(', ')}: their webhooks accept development secrets such as "${devInboundSecret(withoutSecret[0]!)}".`,
    );
  }
  if (!env.METRICS_TOKEN?.trim()) {
    filled.METRICS_TOKEN = DEV_METRICS_TOKEN;
    warnings.push(`METRICS_TOKEN is not set: /metrics answers the development token "${DEV_METRICS_TOKEN}".`);
  }
  if (!env.SECRETS_ENCRYPTION_KEY?.trim()) {
    filled.SECRETS_ENCRYPTION_KEY = DEV_SECRETS_KEY;
    warnings.push('SECRETS_ENCRYPTION_KEY is not set: webhook secrets are sealed with a development key.');
  }
  if (!env.WEBHOOK_ALLOW_PRIVATE_URLS) filled.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
  return { env: filled, warnings };
}
