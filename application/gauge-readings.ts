/**
 * What the API's gauges read from the store at scrape time: redemptions waiting, the points their holds keep, partner
 * notifications not handed over yet, and the latest reconciliation. Each read is bounded by the work in flight.
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

  notificationsPending(partner: PartnerName): Promise<number> {
    return this.notifications.countPending(partner);
  }

  latestReconciliation(): Promise<LatestReconciliation | null> {
    return this.reconciliations.latest();
  }
}
