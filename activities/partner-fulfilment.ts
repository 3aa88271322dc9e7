/**
 * Calls the partner that fulfils a reward. One call per activity attempt: Temporal retries it with backoff until
 * the workflow's deadline; this code only says what a failure means: a refusal, a definite failure (the partner did
 * not fulfil), or an unknown outcome (the request left, no answer came back: the partner may have fulfilled).
 */
import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import { FailureType } from '../domain/failures';
import { stepFailure } from './step-failure';
import { outboundAuthHeaders } from '../domain/partner-auth';
import { PARTNERS, type PartnerName } from '../domain/partners';
import { PartnerCalls } from '../store/partner-calls';
import { createWorkerMetrics, type WorkerMetrics } from './metrics';

export interface PartnerRedeemInput {
  redemptionId: string;
  partner: PartnerName;
  couponCode: string;
  businessRef: string;
  branchId: string;
  /** When the redemption asked for fulfilment; every attempt sends the same body. */
  requestedAt: string;
  attemptTimeoutMs: number;
  /**
   * An earlier attempt's outcome is unknown. A 409 then means what the Idempotency-Key draft says it means, "a
   * request with this key is still being processed", so it is an unknown outcome too, not a refusal.
   */
  reconciling?: boolean;
}

export type PartnerRedeemResult = { called: false; why: string } | { called: true; status: number };

/** `yyyy-MM-dd HH:mm:ss` in UTC, as the POS seeds spell their `date`. */
export function partnerDate(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Connection errors that happen before any byte of the request is sent: the partner cannot have fulfilled anything. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether a failed fetch certainly never reached the partner; a timeout or a dropped connection may have. */
export function wasNeverSent(error: unknown): boolean {
  const code = ((error as Error).cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

const UNANSWERED_BEFORE = ', after an attempt that ended without an answer';

/** How long an attempt waits to learn whether the one before it recorded its answer, before calling the partner. */
const RECORD_CHECK_MS = 1_000;
/**
 * How long an attempt waits for its audit event to be written: a store that is down must not hold an answer the
 * partner gave past the attempt's own timeout, which would turn an accepted call into an unknown outcome.
 */
const AUDIT_WRITE_MS = 2_000;

function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether the attempt's audit event is there. A store that is down or slow counts as "not recorded": the outcome is
 * then treated as unknown, which costs a reconciliation, never a refund; and the partner call does not wait on it.
 */
function answerRecorded(partnerCalls: PartnerCalls, redemptionId: string, attempt: number): Promise<boolean> {
  return withinMs(partnerCalls.has(redemptionId, `partner:${attempt}`), RECORD_CHECK_MS).catch(() => false);
}

export function createPartnerFulfilment(db: Db, config: Config, metrics: WorkerMetrics = createWorkerMetrics()) {
  // Each attempt records its own audit document: the redemption's document is its workflow's alone to write.
  const partnerCalls = new PartnerCalls(db);

  return {
    async redeemWithPartner(input: PartnerRedeemInput): Promise<PartnerRedeemResult> {
      const settings = config.partners[input.partner];
      const { attempt } = Context.current().info;
      // Reconciliation is another activity, whose attempts count from 1 again: its events need keys of their own.
      const audit = (data: Record<string, unknown>) =>
        partnerCalls.record(input.redemptionId, `partner${input.reconciling ? '-reconcile' : ''}:${attempt}`, {
          type: 'partner_call',
          data: { partner: input.partner, attempt, ...(input.reconciling ? { reconciling: true } : {}), ...data },
        });
      /**
       * Writes the attempt's audit event. When the partner accepted, or may have (an unknown outcome), a failed write
       * must not hide that from the workflow, so it is logged instead; after a definite failure it fails the attempt,
       * which is tried again.
       */
      const keepingUnknownOutcome = async (callOutcome: string, write: () => Promise<void>) => {
        try {
          await withinMs(write(), AUDIT_WRITE_MS);
        } catch (error) {
          if (callOutcome !== 'accepted' && callOutcome !== 'unknown') throw error;
          Context.current().log.error(
            `the partner call's outcome (${callOutcome}) was not written to the audit trail`,
            {
              redemptionId: input.redemptionId,
              attempt,
              error: String(error),
            },
          );
        }
      };

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
      // Every attempt that got an answer left its audit event. A fulfilment attempt after one that left none follows an
      // attempt that ended without an answer (its worker stopped mid-call, or its audit could not be written): the
      // partner may have fulfilled that one, so this attempt's definite failure does not make the outcome definite.
      const afterUnanswered =
        !input.reconciling && attempt > 1 && !(await answerRecorded(partnerCalls, input.redemptionId, attempt - 1));
      const reconciling = input.reconciling === true || afterUnanswered;
      const headers = {
        'content-type': 'application/json',
        'idempotency-key': input.redemptionId,
        ...outboundAuthHeaders(PARTNERS[input.partner].auth, settings.outboundSecret, body),
      };
      const started = Date.now();
      let status: number;
      try {
        const response = await fetch(settings.redeemUrl, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(input.attemptTimeoutMs),
        });
        status = response.status;
        await response.body?.cancel();
      } catch (error) {
        const cause = (error as Error).cause as Error | undefined;
        const message =
          (error as Error).name === 'TimeoutError' ? 'timed out' : (cause?.message ?? (error as Error).message);
        const neverSent = wasNeverSent(error);
        const outcome = neverSent ? 'unreachable' : 'unknown';
        metrics.partnerCall(input.partner, outcome, (Date.now() - started) / 1000);
        const audited = { url: settings.redeemUrl, request: JSON.parse(body), outcome, error: message };
        await keepingUnknownOutcome(outcome, () => audit({ ...audited, latency_ms: Date.now() - started }));
        throw stepFailure(
          neverSent && !afterUnanswered ? FailureType.PartnerUnavailable : FailureType.PartnerOutcomeUnknown,
          `${input.partner}: ${message}${afterUnanswered ? UNANSWERED_BEFORE : ''}`,
        );
      }
      const latency = Date.now() - started;
      const outcome =
        status < 300
          ? 'accepted'
          : status === 409 && reconciling
            ? 'unknown'
            : isRetryableStatus(status)
              ? 'retryable'
              : 'rejected';
      metrics.partnerCall(input.partner, outcome, latency / 1000);
      await keepingUnknownOutcome(outcome, () =>
        audit({ url: settings.redeemUrl, request: JSON.parse(body), status, outcome, latency_ms: latency }),
      );
      if (outcome === 'accepted') return { called: true, status };
      throw stepFailure(
        outcome === 'unknown' || (outcome === 'retryable' && afterUnanswered)
          ? FailureType.PartnerOutcomeUnknown
          : outcome === 'retryable'
            ? FailureType.PartnerUnavailable
            : FailureType.PartnerRejected,
        `${input.partner} answered ${status}${afterUnanswered ? UNANSWERED_BEFORE : ''}`,
      );
    },
  };
}
