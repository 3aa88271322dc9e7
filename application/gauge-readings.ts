/**
 * What the API's gauges read from the store at scrape time: redemptions waiting, the points their holds keep, partner
 * notifications not done yet and those given up, and the latest reconciliation. Each read is bounded by the work in flight.
 */
import type { Db } from 'mongodb';
import type { PartnerName } from '../domain/partners';
import { PartnerNotifications } from '../store/partner-notifications';
import { ReconciliationReports, type LatestReconciliation } from '../store/reconciliation-reports';
import { RedemptionGauges, type GaugeCounts } from '../store/redemption-gauges';

export class GaugeReadings {
  private readonly redemptions: RedemptionGauges;
  private readonly notifications: PartnerNotifications;
  private readonly reconciliations: ReconciliationReports;
  private waiting: Promise<GaugeCounts> | undefined;

  constructor(db: Db) {
    this.redemptions = new RedemptionGauges(db);
    this.notifications = new PartnerNotifications(db);
    this.reconciliations = new ReconciliationReports(db);
  }

  /** Redemptions waiting, by status, and the points held by those awaiting their order, by partner ('none'). */
  redemptionsWaiting(): Promise<GaugeCounts> {
    // One read for the gauges that a scrape collects side by side.
    this.waiting ??= this.redemptions.read().finally(() => (this.waiting = undefined));
    return this.waiting;
  }

  /** Notifications whose work is not done yet: not handed to Temporal, or handed over and not confirmed. */
  async notificationsPending(partner: PartnerName): Promise<number> {
    const counts = await Promise.all(
      (['received', 'handed_over'] as const).map((state) => this.notifications.countInState(partner, state)),
    );
    return counts[0]! + counts[1]!;
  }

  /** Notifications given up, which an operator reads through the API. */
  notificationsDeadLettered(partner: PartnerName): Promise<number> {
    return this.notifications.countInState(partner, 'dead_letter');
  }

  latestReconciliation(): Promise<LatestReconciliation | null> {
    return this.reconciliations.latest();
  }
}
