/**
 * The first steps: whether the member may redeem the option now, and a slot in each of the option's limits. A
 * redemption refused here ends rejected, before any points move.
 */
import { sleep } from '@temporalio/workflow';
import type { BeginRedemptionInput, RedemptionContext } from '../../activities/redemption-steps';
import { eligibilityOfRequest } from '../../domain/eligibility';
import type { PartnerName } from '../../domain/partners';
import type { RedemptionOutcome } from '../../domain/redemption';
import { MemberIdKey, OptionIdKey } from '../../domain/search-attributes';
import type { RedemptionStatus, RejectionReason } from '../../domain/states';
import { doublingPauseMs } from '../../domain/pauses';
import { store } from '../store-steps';
import { finish, nextVersion, statusChanged, type RedemptionRun } from './run';

/** What an eligible redemption is: who pays how many points, for which partner's reward, and how. */
export interface RedemptionTerms {
  memberId: string;
  points: number;
  currency: string;
  partner: PartnerName | null;
  /** Points held until the order arrives, instead of debited now. */
  delayed: boolean;
  ttlSeconds: number;
  expiresAt: string | undefined;
}

export type Refused = { ok: false; reason: RejectionReason };

/** Loads the member, the option and the balance, and judges the request against them (domain/eligibility.ts). */
export async function checkEligibility(run: RedemptionRun): Promise<{ ok: true; terms: RedemptionTerms } | Refused> {
  const context = await store('Load member, option and balance').beginRedemption(beginInput(run));
  return judge(run, context);
}

/** What the first step is told: the request, and what the API found for it. */
export function beginInput(run: RedemptionRun): BeginRedemptionInput {
  const { input } = run;
  return {
    redemptionId: run.id,
    requestHash: input.requestHash,
    request: input.request,
    ...(input.memberId !== undefined ? { memberId: input.memberId } : {}),
    ...(input.clientId !== undefined ? { clientId: input.clientId } : {}),
    ...(input.option !== undefined ? { option: input.option } : {}),
  };
}

/**
 * Takes in what the first step found, and judges the request on it at `at` (by default now). An eligible redemption's
 * coupon, when held until the order, expires at `expiresAt` (a step that held the points already said when), else its
 * option's time to live from now.
 */
export function judge(
  run: RedemptionRun,
  context: RedemptionContext,
  { at = new Date(), expiresAt }: { at?: Date; expiresAt?: string | undefined } = {},
): { ok: true; terms: RedemptionTerms } | Refused {
  const { input } = run;
  const { request, settings } = input;
  const { memberId, option } = context;
  run.option = option;
  run.memberId = memberId;
  run.ledgerHead = context.ledgerHead;
  const eligibility = eligibilityOfRequest(request, context, at, input.order);
  run.found = [
    { key: OptionIdKey, value: request.redemption_option_id },
    ...(memberId ? [{ key: MemberIdKey, value: memberId }] : []),
  ];
  if (!eligibility.ok) return eligibility;

  const delayed = request.delay_points_deduction;
  const ttlSeconds = option!.coupon_ttl_seconds ?? settings.couponTtlSeconds;
  const terms: RedemptionTerms = {
    memberId: memberId!,
    points: eligibility.points,
    currency: eligibility.currency,
    partner: option!.partner,
    delayed,
    ttlSeconds,
    expiresAt: delayed ? (expiresAt ?? couponExpiry(ttlSeconds)) : undefined,
  };
  Object.assign(run.progress, { points: terms.points, partner: terms.partner, expiresAt: terms.expiresAt });
  return { ok: true, terms };
}

/** When a coupon issued now, held for its order, expires. */
export function couponExpiry(ttlSeconds: number): string {
  return new Date(Date.now() + ttlSeconds * 1000).toISOString();
}

/**
 * The pause before a redemption asks again for a slot that redemptions not decided yet fill: their points are reserved
 * or refused within moments, so 100 ms, doubling, at most 2 s.
 */
function limitWaitPauseMs(attempt: number): number {
  return doublingPauseMs(attempt, 100, 2_000);
}

/**
 * How long a redemption waits for undecided slots before it counts them as taken: a slot whose points step ran on a
 * worker that does not settle slots yet (during a rolling upgrade) stays undecided until it is given back.
 */
const LIMIT_WAIT_MS = 30_000;

/**
 * An option with limits takes a slot in each before any points move; an option without adds no step at all. A limit
 * filled by redemptions whose points are not reserved yet is asked again after a pause, until they are decided: one of
 * them may fail for its points and give its slot back.
 */
export async function takeLimitSlots(run: RedemptionRun, terms: RedemptionTerms): Promise<{ ok: true } | Refused> {
  const option = run.option!;
  if (!option.limits) return { ok: true };
  const since = Date.now();
  for (let attempt = 1; ; attempt++) {
    const claim = await store('Take a slot in the option’s limits').claimLimitSlots({
      redemptionId: run.id,
      memberId: terms.memberId,
      optionId: option.id,
      limits: option.limits,
      ...(attempt > 1 && Date.now() - since >= LIMIT_WAIT_MS ? { undecidedAsTaken: true } : {}),
    });
    if (claim.ok) {
      run.slots = claim.slots;
      return { ok: true };
    }
    if (!('wait' in claim)) return claim;
    await sleep(limitWaitPauseMs(attempt), {
      summary: `The limit ${claim.scope} is full of redemptions not decided yet: ask again`,
    });
  }
}

export async function giveSlotsBack(run: RedemptionRun, cause: RedemptionStatus): Promise<void> {
  if (run.slots.length === 0) return;
  await store(`Give back the limit slot (${cause})`).releaseLimitSlots({
    redemptionId: run.id,
    slots: run.slots,
    cause,
  });
}

export async function reject(run: RedemptionRun, reason: RejectionReason): Promise<RedemptionOutcome> {
  await store(`Reject: ${reason}`).rejectRedemption({
    redemptionId: run.id,
    version: nextVersion(run),
    reason,
    memberId: run.memberId,
  });
  run.outcome.reason = reason;
  statusChanged(run, 'rejected', run.found);
  return finish(run);
}
