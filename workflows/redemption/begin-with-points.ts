/**
 * The first step and the points in one store step: the redemption recorded, its request judged, and when eligible its
 * points debited or held and its coupon issued. It serves new workflows whose option came with the request and has no
 * limits (slots are taken between the two steps otherwise); it saves a local activity, its marker and a workflow
 * activation. The step judges the request at the workflow's time, and the workflow judges it again on what the step
 * found, at the same time and with the same domain function, so both agree.
 */
import { patched } from '@temporalio/workflow';
import type { BeginWithPointsInput } from '../../activities/redemption-steps';
import { store } from '../store-steps';
import { beginInput, couponExpiry, judge, type Refused, type RedemptionTerms } from './eligibility';
import { needsPartnerFor } from './fulfilment';
import { pointsReserved, reservedChanges, reservePoints } from './points';
import type { RedemptionRun } from './run';

/** Whether this redemption begins with its points. Workflows started before begin with two steps. */
export function beginsWithPoints(run: RedemptionRun): boolean {
  const { option } = run.input;
  return option !== undefined && option !== null && !option.limits && patched('begin-with-points');
}

export async function beginWithPoints(run: RedemptionRun): Promise<{ ok: true; terms: RedemptionTerms } | Refused> {
  run.beganWithPoints = true;
  const { input } = run;
  const option = input.option!;
  const delayed = input.request.delay_points_deduction;
  const expiresAt = delayed ? couponExpiry(option.coupon_ttl_seconds ?? input.settings.couponTtlSeconds) : undefined;
  const { order } = run;
  const completes = !delayed && !needsPartnerFor(option.partner, order);
  // The versions are taken only if the points move: a refusal is the next step.
  const version = run.version + 1;
  const completedVersion = completes ? version + 1 : undefined;
  const points: BeginWithPointsInput['points'] = {
    version,
    ...(completedVersion !== undefined ? { completedVersion } : {}),
    delayed,
    changes: reservedChanges({ delayed, partner: option.partner, expiresAt }, order),
  };
  const summary = `Load member and balance, ${delayed ? 'hold' : 'debit'} the points and issue the coupon${completes ? ', completed' : ''}`;
  // The step and the workflow judge at the same instant: the workflow's clock moves on while the step runs.
  const at = new Date();
  const { context, reserved } = await store(summary).beginRedemptionWithPoints({
    ...beginInput(run),
    now: at.toISOString(),
    ...(input.order ? { order: input.order } : {}),
    points,
  });
  const judged = judge(run, context, { at, expiresAt });
  if (!judged.ok) return judged;
  if (reserved === 'insufficient_points') return { ok: false, reason: 'insufficient_points' };
  if (reserved === undefined) {
    // The step judged otherwise (it cannot, on the same inputs): the points step of workflows that begin in two.
    return (await reservePoints(run, judged.terms)) ? judged : { ok: false, reason: 'insufficient_points' };
  }
  run.version = completedVersion ?? version;
  pointsReserved(run, judged.terms, reserved, completes);
  return judged;
}
