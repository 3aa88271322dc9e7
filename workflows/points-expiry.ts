/**
 * The expiry pass (worker/points-expiry-schedule.ts starts it every POINTS_EXPIRY_INTERVAL_SECONDS): expires what is
 * left of every date whose time has come, one call per day of minutes until it has caught up with now.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExpiryPassResult } from '../activities/points-expiry';

const { expireDuePoints } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  // A pass whose worker died is run again within a minute (the activity beats as it sweeps).
  heartbeatTimeout: '1m',
  retry: { initialInterval: '5s', maximumInterval: '1m' },
  summary: 'Expire the points whose date has come',
});

export async function pointsExpiryWorkflow(): Promise<ExpiryPassResult> {
  const total: ExpiryPassResult = { dates: 0, entries: 0, points_expired: 0, caught_up: false };
  while (!total.caught_up) {
    const pass = await expireDuePoints();
    total.dates += pass.dates;
    total.entries += pass.entries;
    total.points_expired += pass.points_expired;
    total.caught_up = pass.caught_up;
  }
  return total;
}
