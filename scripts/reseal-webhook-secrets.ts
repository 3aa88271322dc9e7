/**
 * `npm run secrets:reseal`: seals every webhook signing secret under SECRETS_ENCRYPTION_KEY, both those stored before
 * secrets were sealed and those sealed under a key now in SECRETS_ENCRYPTION_OLD_KEYS. Run it after changing the key,
 * with the previous one in SECRETS_ENCRYPTION_OLD_KEYS; once it is done, the previous key can go (README, Security).
 */
import { loadConfig } from '../config/env';
import { connectMongo } from '../store/connect';
import { secretBoxOf } from '../store/secret-box';
import { WebhookEndpoints } from '../store/webhooks';

const config = loadConfig(process.env, { embedded: true });
if (!config.secrets.key) {
  console.error('Set SECRETS_ENCRYPTION_KEY to the key the secrets are to be sealed with.');
  process.exit(2);
}
const mongo = await connectMongo(config.mongo);
try {
  const changed = await new WebhookEndpoints(mongo.db, secretBoxOf(config)).reseal();
  console.log(`${changed} webhook endpoints of ${config.mongo.db} had their secrets sealed under the current key.`);
} finally {
  await mongo.client.close();
}
