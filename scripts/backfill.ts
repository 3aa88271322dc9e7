/**
 * `npm run backfill:report-days` and `npm run backfill:coupon-codes`: each once, after upgrading a store whose
 * redemptions predate the field it fills. On FerretDB run them with the workers stopped (see RedemptionHistory).
 */
import { RedemptionHistory } from '../store/redemption-history';
import { loadConfig } from '../config/env';
import { connectMongo } from '../store/connect';

const BACKFILLS = {
  /** So that the redemptions report counts them. */
  'report-days': { run: (history: RedemptionHistory) => history.backfillCreatedDay(), gave: 'their created_day' },
  /** So that no new coupon code can be one of theirs. */
  'coupon-codes': {
    run: (history: RedemptionHistory) => history.backfillIssuedCouponCodes(),
    gave: 'their coupon code under its unique index',
  },
};

const name = process.argv[2];
if (!(name && name in BACKFILLS)) {
  console.error(`Usage: tsx scripts/backfill.ts <${Object.keys(BACKFILLS).join('|')}>`);
  process.exit(2);
}
const backfill = BACKFILLS[name as keyof typeof BACKFILLS];
const config = loadConfig(process.env, { embedded: true });
const mongo = await connectMongo(config.mongo);
try {
  const changed = await backfill.run(new RedemptionHistory(mongo.db));
  console.log(`${changed} redemptions of ${config.mongo.db} were given ${backfill.gave}.`);
} finally {
  await mongo.client.close();
}
