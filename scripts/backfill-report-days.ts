/**
 * `npm run backfill:report-days`: once, after upgrading a store whose redemptions predate `created_day`, so that the
 * redemptions report counts them. On FerretDB run it with the workers stopped (see Redemptions.backfillCreatedDay).
 */
import { loadConfig } from '../config/env';
import { connectMongo } from '../store/connect';
import { Redemptions } from '../store/redemptions';

const config = loadConfig(process.env, { embedded: true });
const mongo = await connectMongo(config.mongo);
try {
  const changed = await new Redemptions(mongo.db).backfillCreatedDay();
  console.log(`${changed} redemptions of ${config.mongo.db} were given their created_day.`);
} finally {
  await mongo.client.close();
}
