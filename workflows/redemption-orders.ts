/**
 * A later event on a redemption whose own workflow has ended: an order that uses a completed redemption's coupon, or
 * the cancellation of the order that used it, which refunds the points within the refund window. Its id is derived
 * from the redemption's, so events for one redemption are handled one run at a time; each run handles what it was
 * sent and ends.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RedemptionState } from '../activities/redemption-steps';
import { ORDER_CLAIM_LEASE_MS, checkCouponUse } from '../domain/coupon-use';
import type { OrderCapture, RedemptionOutcome } from '../domain/redemption';
import { redemptionCurrentDetails } from '../domain/redemption-summary';
import type { RefusalCode } from '../domain/failures';
import { RedemptionStatusKey } from '../domain/search-attributes';
import { operatorInputProblem } from '../domain/operator-actions';
import {
  cancelOrderUpdate,
  captureOrderUpdate,
  claimForOrderUpdate,
  refundRedemptionUpdate,
  releaseClaimUpdate,
} from './messages';
import { STORE_STEP_OPTIONS } from './store-steps';

/** A store step, named in the Temporal UI by its summary. */
const store = (summary: string) => proxyLocalActivities<Activities>({ ...STORE_STEP_OPTIONS, summary });

export interface RedemptionOrdersInput {
  redemptionId: string;
  orderRefundWindowSeconds: number;
}

function refuse(code: RefusalCode, message: string): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

export async function redemptionOrdersWorkflow({
  redemptionId,
  orderRefundWindowSeconds,
}: RedemptionOrdersInput): Promise<void> {
  setCurrentDetails(`Loading redemption ${redemptionId}`);
  const loading = store('Load the redemption').loadRedemptionState({ redemptionId });

  async function loaded(): Promise<RedemptionState> {
    const state = await loading;
    if (!state) refuse('redemption_not_found', `Redemption ${redemptionId} was not found.`);
    return state;
  }

  const outcomeOf = (current: RedemptionState): RedemptionOutcome => ({
    id: redemptionId,
    status: current.status,
    reason: current.reason,
    coupon_code: current.coupon_code,
    order_id: current.order_id,
  });

  const showState = (current: RedemptionState) =>
    setCurrentDetails(
      redemptionCurrentDetails({
        status: current.status,
        points: current.points ?? undefined,
        partner: current.option?.partner ?? null,
        reason: current.reason,
        orderId: current.order_id,
      }),
    );

  /** An order holding the coupon while it claims its other coupons; the run stays open while it holds it. */
  let claim: { order_id: string; until: number } | undefined;
  const claimedBy = () => (claim && Date.now() < claim.until ? claim.order_id : null);

  async function usable(capture: OrderCapture) {
    const current = await loaded();
    const use = checkCouponUse({ ...current, claimedBy: claimedBy() }, current.option, capture);
    if (!use.ok) refuse(use.code, use.message);
    return { current, use };
  }

  setHandler(claimForOrderUpdate, async (capture) => {
    const { current, use } = await usable(capture);
    if (!use.sameOrder) claim = { order_id: capture.order_id, until: Date.now() + ORDER_CLAIM_LEASE_MS };
    return outcomeOf(current);
  });

  setHandler(releaseClaimUpdate, async ({ order_id }) => {
    if (claim?.order_id === order_id) claim = undefined;
    return outcomeOf(await loaded());
  });

  async function refund(current: RedemptionState, why: string): Promise<void> {
    await store(`Refund ${current.points} points: ${why}`).refundOrder({
      redemptionId,
      memberId: current.member_id!,
      points: current.points!,
      version: current.version + 1,
    });
    const slots = current.limit_slots ?? [];
    if (slots.length > 0) {
      await store('Give back the limit slot (refunded)').releaseLimitSlots({ redemptionId, slots, cause: 'refunded' });
    }
    current.status = 'refunded';
    upsertSearchAttributes([{ key: RedemptionStatusKey, value: 'refunded' }]);
    showState(current);
  }

  setHandler(captureOrderUpdate, async (capture) => {
    const { current, use } = await usable(capture);
    if (claim?.order_id === capture.order_id) claim = undefined;
    if (!use.sameOrder) {
      // Only a completed redemption gets here without an order: its points are paid, the order claims the coupon.
      await store(`Record order ${capture.order_id}`).recordOrder({ redemptionId, orderId: capture.order_id });
      current.order_id = capture.order_id;
      showState(current);
    }
    return outcomeOf(current);
  });

  setHandler(cancelOrderUpdate, async ({ order_id }) => {
    const current = await loaded();
    if (current.order_id !== order_id) refuse('order_mismatch', 'This redemption was not used by that order.');
    if (current.status !== 'completed') return outcomeOf(current);
    const refundableUntil = Date.parse(current.completed_at ?? '') + orderRefundWindowSeconds * 1000;
    if (!(Date.now() <= refundableUntil)) {
      refuse(
        'refund_window_passed',
        `Redemption ${redemptionId} is past its refund window; adjust the member's points instead.`,
      );
    }
    await refund(current, `order ${order_id} cancelled`);
    return outcomeOf(current);
  });

  setHandler(refundRedemptionUpdate, async (note) => {
    const problem = operatorInputProblem(note, { reasonRequired: true });
    if (problem) refuse('invalid_operator_action', problem);
    const current = await loaded();
    if (current.status !== 'completed') {
      refuse(
        'redemption_not_refundable',
        `Only a completed redemption can be refunded; this one is ${current.status}.`,
      );
    }
    await store('Record the operator refund').recordOperatorAction({ redemptionId, action: 'refund', note });
    await refund(current, 'an operator refunded it');
    return outcomeOf(current);
  });

  const state = await loading;
  if (state) {
    upsertSearchAttributes([{ key: RedemptionStatusKey, value: state.status }]);
    showState(state);
  } else {
    setCurrentDetails(`Redemption ${redemptionId} was not found`);
  }
  await condition(allHandlersFinished);
  while (claim && claimedBy() !== null) {
    await condition(() => claim === undefined, claim.until - Date.now(), {
      summary: `Order ${claim.order_id} holds the coupon until it captures or lets go`,
    });
    await condition(allHandlersFinished);
  }
}
