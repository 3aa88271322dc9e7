/**
 * What one redemption's workflow knows, in one object that its steps and its update handlers share: the outcome
 * callers read, what the handlers were asked, and what operators see in the Temporal UI.
 */
import {
  allHandlersFinished,
  condition,
  setCurrentDetails,
  upsertSearchAttributes,
  type CancelledFailure,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { CouponState } from '../../domain/coupon-use';
import type { LedgerHeadState } from '../../domain/ledger';
import type { LimitSlot } from '../../domain/limits';
import type { OperatorNote } from '../../domain/operator-actions';
import type { RedemptionOption } from '../../domain/options';
import type { OrderCapture, RedemptionInput, RedemptionOutcome, RedemptionView } from '../../domain/redemption';
import { redemptionCurrentDetails, type RedemptionProgress } from '../../domain/redemption-summary';
import type { ReviewResolution } from '../../domain/review';
import { RedemptionStatusKey } from '../../domain/search-attributes';
import { isDecided, type RedemptionStatus } from '../../domain/states';
import { CouponClaim } from '../coupon-claim';

export interface RedemptionRun {
  readonly id: string;
  readonly input: RedemptionInput;
  readonly outcome: RedemptionOutcome;
  /** Read by the first step; null when the catalogue has no such option. */
  option: RedemptionOption | null;
  /** The member found by the first step. */
  memberId: string | null;
  /** The member's ledger head as the last step read or left it, handed to the next step that moves the points. */
  ledgerHead: LedgerHeadState | undefined;
  /** Search attributes known from the first step on (the option, the member), set with the next status. */
  found: SearchAttributeUpdatePair[];
  /** The order using the coupon: the one the redemption came with, or the one captureOrder accepted. */
  order: OrderCapture | undefined;
  /** The slots taken in the option's limits, given back when the redemption ends without its reward. */
  slots: LimitSlot[];
  readonly claim: CouponClaim;
  cancelRequested: boolean;
  /** The API client that cancelled the redemption, or cancelled its order, for the audit trail. */
  cancelledBy: string | undefined;
  orderCancelledBy: string | undefined;
  orderCancelRequested: boolean;
  /** An operator's Cancel in the Temporal UI. */
  cancelledByOperator: CancelledFailure | undefined;
  review: ReviewResolution | undefined;
  operatorRefund: OperatorNote | undefined;
  /** Numbers the status-changing steps, so that the store never applies an older step over a newer one. */
  version: number;
  /** Its first step moved the points too (begin-with-points.ts). */
  beganWithPoints: boolean;
  /** What the workflow's current details in the Temporal UI tell, beyond the outcome. */
  readonly progress: Omit<RedemptionProgress, 'status' | 'reason' | 'orderId'>;
  /** The redemption as the step that completed it, or left it awaiting its order, stored it (see decision()). */
  stored: RedemptionView | undefined;
}

export function startRun(input: RedemptionInput): RedemptionRun {
  const run = newRun(input);
  showProgress(run);
  return run;
}

/** The state of a run before its first step. */
export function newRun(input: RedemptionInput): RedemptionRun {
  return {
    id: input.redemptionId,
    input,
    outcome: {
      id: input.redemptionId,
      status: 'pending',
      reason: null,
      coupon_code: null,
      order_id: input.order?.order_id ?? null,
    },
    option: null,
    memberId: null,
    ledgerHead: undefined,
    found: [],
    order: input.order,
    slots: [],
    claim: new CouponClaim(),
    cancelRequested: false,
    cancelledBy: undefined,
    orderCancelledBy: undefined,
    orderCancelRequested: false,
    cancelledByOperator: undefined,
    review: undefined,
    operatorRefund: undefined,
    version: 0,
    beganWithPoints: false,
    progress: {},
    stored: undefined,
  };
}

export function nextVersion(run: RedemptionRun): number {
  return ++run.version;
}

export function showProgress(run: RedemptionRun): void {
  const { outcome } = run;
  setCurrentDetails(
    redemptionCurrentDetails({
      ...run.progress,
      status: outcome.status,
      reason: outcome.reason,
      orderId: outcome.order_id,
    }),
  );
}

/** Each state change is one search-attribute upsert carrying everything that changed. */
export function statusChanged(
  run: RedemptionRun,
  status: RedemptionStatus,
  attributes: SearchAttributeUpdatePair[] = [],
): void {
  run.outcome.status = status;
  upsertSearchAttributes([{ key: RedemptionStatusKey, value: status }, ...attributes]);
  showProgress(run);
}

/**
 * A request that came before the redemption was decided, judged and handled once it is. The store can say a redemption
 * is completed or awaiting its order while its workflow has yet to record the steps that made it so (their workflow
 * task was lost, and is run again), so a caller may rightly ask what only a decided redemption allows. Its validator
 * lets it in; `judge` refuses it then if it must be refused.
 */
export async function onceDecided<T>(run: RedemptionRun, judge: () => void, handle: () => T | Promise<T>): Promise<T> {
  await condition(() => isDecided(run.outcome.status));
  judge();
  return handle();
}

/**
 * A request handled at once when the redemption is decided, as requests always were, and otherwise let in and judged
 * once it is decided (onceDecided).
 */
export function handledWhenDecided<R>(run: RedemptionRun, judge: () => void, handle: () => R): R | Promise<Awaited<R>> {
  return isDecided(run.outcome.status) ? handle() : (onceDecided(run, judge, handle) as Promise<Awaited<R>>);
}

/**
 * The workflow ends with the redemption, once every update it accepted has its answer. Its result is the decision's
 * answer (see decided()): an API that started the workflow eagerly answers with it.
 */
export async function finish(run: RedemptionRun): Promise<RedemptionOutcome> {
  await condition(allHandlersFinished);
  return decided(run);
}

/** The outcome, with the redemption as its deciding step stored it while that is still its status. */
export function decided(run: RedemptionRun): RedemptionOutcome {
  const { stored, outcome } = run;
  return stored?.status === outcome.status ? { ...outcome, redemption: stored } : outcome;
}

/** The coupon as an order's use of it is judged (domain/coupon-use.ts). */
export function couponState(run: RedemptionRun): CouponState {
  return { ...run.outcome, cancelRequested: run.cancelRequested, claimedBy: run.claim.holder };
}
