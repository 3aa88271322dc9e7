/**
 * Calls the partner that fulfils a reward. One call per activity attempt: Temporal retries it with backoff until
 * the workflow's deadline; this code only says whether a failure is worth retrying.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import { FailureType } from '../domain/failures';
import { PARTNERS, type PartnerName } from '../domain/partners';
import { Redemptions } from '../store/redemptions';
import { createWorkerMetrics, type WorkerMetrics } from './metrics';
import { outboundAuthHeaders } from './partner-auth';

export interface PartnerRedeemInput {
  redemptionId: string;
  partner: PartnerName;
  couponCode: string;
  businessRef: string;
  branchId: string;
  /** When the redemption asked for fulfilment; every attempt sends the same body. */
  requestedAt: string;
  attemptTimeoutMs: number;
}

export type PartnerRedeemResult = { called: false; why: string } | { called: true; status: number };

/** `yyyy-MM-dd HH:mm:ss` in UTC, as the POS seeds spell their `date`. */
export function partnerDate(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function createPartnerFulfilment(db: Db, config: Config, metrics: WorkerMetrics = createWorkerMetrics()) {
  const redemptions = new Redemptions(db);

  return {
    async redeemWithPartner(input: PartnerRedeemInput): Promise<PartnerRedeemResult> {
      const settings = config.partners[input.partner];
      const { attempt } = Context.current().info;
      const audit = (data: Record<string, unknown>) =>
        redemptions.appendEvent(input.redemptionId, `partner:${attempt}`, {
          type: 'partner_call',
          data: { partner: input.partner, attempt, ...data },
        });

      if (!settings.redeemUrl) {
        await audit({ outcome: 'skipped', why: `${input.partner.toUpperCase()}_REDEEM_URL is not set` });
        return { called: false, why: 'no redeem URL configured' };
      }
      const body = JSON.stringify({
        reward_code: input.couponCode,
        business_refrence: input.businessRef,
        branch_id: input.branchId,
        date: partnerDate(input.requestedAt),
        timestamp: String(Math.floor(Date.parse(input.requestedAt) / 1000)),
      });
      const started = Date.now();
      let status: number;
      try {
        const response = await fetch(settings.redeemUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': input.redemptionId,
            ...outboundAuthHeaders(PARTNERS[input.partner].auth, settings.outboundSecret, body),
          },
          body,
          signal: AbortSignal.timeout(input.attemptTimeoutMs),
        });
        status = response.status;
        await response.body?.cancel();
      } catch (error) {
        const message = (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message;
        metrics.partnerCall(input.partner, 'unreachable', (Date.now() - started) / 1000);
        await audit({
          url: settings.redeemUrl,
          request: JSON.parse(body),
          outcome: 'unreachable',
          error: message,
          latency_ms: Date.now() - started,
        });
        throw ApplicationFailure.create({
          type: FailureType.PartnerUnavailable,
          message: `${input.partner}: ${message}`,
        });
      }
      const latency = Date.now() - started;
      const outcome = status < 300 ? 'accepted' : isRetryableStatus(status) ? 'retryable' : 'rejected';
      metrics.partnerCall(input.partner, outcome, latency / 1000);
      try {
        await audit({ url: settings.redeemUrl, request: JSON.parse(body), status, outcome, latency_ms: latency });
      } catch (error) {
        // The partner has fulfilled the reward: a failed audit write must not turn that into a retry.
        if (outcome !== 'accepted') throw error;
        Context.current().log.error('the partner accepted, but its audit event was not written', {
          redemptionId: input.redemptionId,
          attempt,
          error: String(error),
        });
      }
      if (outcome === 'accepted') return { called: true, status };
      throw ApplicationFailure.create({
        type: outcome === 'retryable' ? FailureType.PartnerUnavailable : FailureType.PartnerRejected,
        message: `${input.partner} answered ${status}`,
        nonRetryable: outcome === 'rejected',
      });
    },
  };
}
