/**
 * `npm run backfill:report-days`: once, after upgrading a store whose redemptions predate `created_day`, so that the
 * redemptions report counts them. On FerretDB run it with the workers stopped (see RedemptionHistory.backfillCreatedDay).
 */
import { RedemptionHistory } from '../store/redemption-history';
import { loadConfig } from '../config/env';
import { connectMongo } from '../store/connect';

const config = loadConfig(process.env, { embedded: true });
const mongo = await connectMongo(config.mongo);
try {
  const changed = await new RedemptionHistory(mongo.db).backfillCreatedDay();
  console.log(`${changed} redemptions of ${config.mongo.db} were given their created_day.`);
} finally {
  await mongo.client.close();
}
