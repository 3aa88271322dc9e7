/**
 * What one run of a redemption's orders workflow knows: the stored redemption it loads once at start (every handler
 * waits for that load), the coupon's claim, and the turns its refunds take.
 */
import { patched, setCurrentDetails } from '@temporalio/workflow';
import type { RedemptionState } from '../../activities/redemption-steps';
import type { RedemptionOutcome } from '../../domain/redemption';
import { redemptionCurrentDetails } from '../../domain/redemption-summary';
import { CouponClaim } from '../coupon-claim';
import { refuse } from '../refusals';
import { store } from '../store-steps';

export interface RedemptionOrdersInput {
  redemptionId: string;
  orderRefundWindowSeconds: number;
}

export interface OrdersRun {
  readonly redemptionId: string;
  readonly orderRefundWindowSeconds: number;
  /** The stored redemption, null when there is none; handlers change their copy as their steps succeed. */
  readonly loading: Promise<RedemptionState | null>;
  /** An order holding the coupon while it claims its other coupons; the run stays open while it holds it. */
  readonly claim: CouponClaim;
  /** Runs refunds one at a time, so that each one starts from what the one before gave back. */
  readonly inTurn: <T>(refund: () => Promise<T>) => Promise<T>;
}

export function startOrdersRun({ redemptionId, orderRefundWindowSeconds }: RedemptionOrdersInput): OrdersRun {
  // Runs recorded before partial cancellations let concurrent refunds overlap (a repeated whole refund then changed
  // nothing).
  const refundsInTurn = patched('order-refunds-in-turn');
  let lastTurn: Promise<unknown> = Promise.resolve();
  function inTurn<T>(refund: () => Promise<T>): Promise<T> {
    if (!refundsInTurn) return refund();
    const turn = lastTurn.then(refund);
    lastTurn = turn.catch(() => undefined);
    return turn;
  }
  setCurrentDetails(`Loading redemption ${redemptionId}`);
  const loading = store('Load the redemption').loadRedemptionState({ redemptionId });
  return { redemptionId, orderRefundWindowSeconds, loading, claim: new CouponClaim(), inTurn };
}

/** The stored redemption; refused when there is none. */
export async function loaded(run: OrdersRun): Promise<RedemptionState> {
  const state = await run.loading;
  if (!state) refuse('redemption_not_found', `Redemption ${run.redemptionId} was not found.`);
  return state;
}

export function outcomeOf(run: OrdersRun, current: RedemptionState): RedemptionOutcome {
  return {
    id: run.redemptionId,
    status: current.status,
    reason: current.reason,
    coupon_code: current.coupon_code,
    order_id: current.order_id,
  };
}

export function showState(current: RedemptionState): void {
  setCurrentDetails(
    redemptionCurrentDetails({
      status: current.status,
      points: current.points ?? undefined,
      partner: current.option?.partner ?? null,
      reason: current.reason,
      orderId: current.order_id,
    }),
  );
}
