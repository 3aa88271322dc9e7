/**
 * Business metrics recorded where the work happens, in the worker. They go through the Temporal runtime's metric
 * meter, so the worker serves them on WORKER_METRICS_ADDRESS beside the SDK's `temporal_` series: one scrape target
 * per worker process, whether or not an API runs in the same process. Without a meter (tests of the activities alone)
 * nothing is recorded.
 */
import { noopMetricMeter, type MetricMeter } from '@temporalio/common';
import type { PartnerName } from '../domain/partners';
import type { RedemptionStatus } from '../domain/states';

export type PartnerCallOutcome = 'accepted' | 'retryable' | 'rejected' | 'unreachable' | 'unknown';

export function createWorkerMetrics(meter: MetricMeter = noopMetricMeter) {
  const partnerCalls = meter.createCounter(
    'redemption_partner_calls_total',
    undefined,
    'Calls to partners’ redeem endpoints, by partner and outcome',
  );
  const partnerCallDuration = meter.createHistogram(
    'redemption_partner_call_duration_seconds',
    'float',
    's',
    'Latency of calls to partners’ redeem endpoints, by partner and outcome',
  );
  const ledgerRetries = meter.createCounter(
    'ledger_contention_retries_total',
    undefined,
    'Ledger appends that lost the race for a member’s next entry and tried again',
  );
  const redemptionsFinished = meter.createCounter(
    'redemptions_finished_total',
    undefined,
    'Redemptions that reached a final status (completed counts too), by status and partner',
  );
  const redemptionsMissing = meter.createCounter(
    'redemption_missing_total',
    undefined,
    'Store steps that found no document for their redemption: the store lost an acknowledged write, or it was deleted',
  );
  return {
    redemptionMissing(): void {
      redemptionsMissing.add(1);
    },
    partnerCall(partner: PartnerName, outcome: PartnerCallOutcome, seconds: number): void {
      partnerCalls.add(1, { partner, outcome });
      partnerCallDuration.record(seconds, { partner, outcome });
    },
    ledgerContentionRetry(): void {
      ledgerRetries.add(1, { process: 'worker' });
    },
    /** `partner` is `none` for a redemption without one, `unknown` when it could not be read. */
    redemptionFinished(status: RedemptionStatus, partner: PartnerName | 'unknown' | null): void {
      redemptionsFinished.add(1, { status, partner: partner ?? 'none' });
    },
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
