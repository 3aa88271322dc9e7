/**
 * What the API's gauges read from the store at scrape time: redemptions waiting, the points their holds keep, partner
 * notifications not done yet and those given up, and the latest reconciliation. Each read is bounded by the work in flight.
 */
import type { Db } from 'mongodb';
import type { PartnerName } from '../domain/partners';
import type { RedemptionStatus } from '../domain/states';
import { PartnerNotifications } from '../store/partner-notifications';
import { ReconciliationReports, type LatestReconciliation } from '../store/reconciliation-reports';
import { RedemptionGauges } from '../store/redemption-gauges';

export class GaugeReadings {
  private readonly redemptions: RedemptionGauges;
  private readonly notifications: PartnerNotifications;
  private readonly reconciliations: ReconciliationReports;

  constructor(db: Db) {
    this.redemptions = new RedemptionGauges(db);
    this.notifications = new PartnerNotifications(db);
    this.reconciliations = new ReconciliationReports(db);
  }

  redemptionsIn(status: RedemptionStatus): Promise<number> {
    return this.redemptions.countInStatus(status);
  }

  /** By the partner that will fulfil them ('none' without one). */
  pointsHeldByPartner(): Promise<Map<string, number>> {
    return this.redemptions.pointsHeldByPartner();
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
