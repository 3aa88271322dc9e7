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
  patched,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RedemptionState } from '../activities/redemption-steps';
import { ORDER_CLAIM_LEASE_MS, checkCouponUse } from '../domain/coupon-use';
import type { OrderCancellation, OrderCapture, RedemptionOutcome } from '../domain/redemption';
import { redemptionCurrentDetails } from '../domain/redemption-summary';
import type { RefusalCode } from '../domain/failures';
import { RedemptionStatusKey } from '../domain/search-attributes';
import { operatorInputProblem, type OperatorNote } from '../domain/operator-actions';
import { canApportion, orderCancellationProblem, refundStep } from '../domain/partial-refund';
import { checkRefundWindow } from '../domain/refund-window';
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

function refuseProblem(problem: string | null): void {
  if (problem) refuse('invalid_order_cancellation', problem);
}

export async function redemptionOrdersWorkflow({
  redemptionId,
  orderRefundWindowSeconds,
}: RedemptionOrdersInput): Promise<void> {
  // Refunds take turns, so that each one starts from what the one before gave back. Runs recorded before partial
  // cancellations let concurrent refunds overlap (a repeated whole refund then changed nothing).
  const refundsInTurn = patched('order-refunds-in-turn');
  let lastTurn: Promise<unknown> = Promise.resolve();
  function inTurn<T>(run: () => Promise<T>): Promise<T> {
    if (!refundsInTurn) return run();
    const turn = lastTurn.then(run);
    lastTurn = turn.catch(() => undefined);
    return turn;
  }

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

  /** A redemption refunded in full gives its slots in the option's limits back. */
  async function giveSlotsBack(current: RedemptionState): Promise<void> {
    const slots = current.limit_slots ?? [];
    if (slots.length > 0) {
      await store('Give back the limit slot (refunded)').releaseLimitSlots({ redemptionId, slots, cause: 'refunded' });
    }
  }

  /** Gives back every point not given back yet. */
  async function refund(current: RedemptionState, why: string): Promise<void> {
    const earlier = current.points_refunded ?? 0;
    const points = current.points! - earlier;
    await store(`Refund ${points} points: ${why}`).refundOrder({
      redemptionId,
      memberId: current.member_id!,
      points,
      version: current.version + 1,
      ...(earlier > 0 ? { total: current.points! } : {}),
    });
    await giveSlotsBack(current);
    current.version += 1;
    current.points_refunded = current.points!;
    current.status = 'refunded';
    upsertSearchAttributes([{ key: RedemptionStatusKey, value: 'refunded' }]);
    showState(current);
  }

  setHandler(captureOrderUpdate, async (capture) => {
    const { current, use } = await usable(capture);
    if (claim?.order_id === capture.order_id) claim = undefined;
    if (!use.sameOrder) {
      // Only a completed redemption gets here without an order: its points are paid, the order claims the coupon.
      await store(`Record order ${capture.order_id}`).recordOrder({
        redemptionId,
        orderId: capture.order_id,
        ...(capture.subtotal !== undefined ? { orderSubtotal: capture.subtotal } : {}),
      });
      current.order_id = capture.order_id;
      showState(current);
    }
    return outcomeOf(current);
  });

  function refuseAfterRefundWindow(current: RedemptionState): void {
    const window = checkRefundWindow(
      { id: redemptionId, completed_at: current.completed_at },
      orderRefundWindowSeconds,
      Date.now(),
    );
    if (!window.ok) refuse(window.code, window.message);
  }

  /** Part of the order was cancelled: once per cancellation, what that part is owed (domain/partial-refund.ts). */
  async function refundPart(
    current: RedemptionState,
    cancellation: OrderCancellation & { cancellation_id: string },
  ): Promise<RedemptionOutcome> {
    const applied = (current.order_cancellations ?? []).find((one) => one.id === cancellation.cancellation_id);
    if (applied) return { ...outcomeOf(current), cancellation_refund: applied.points };
    if (current.status !== 'completed') return { ...outcomeOf(current), cancellation_refund: 0 };
    refuseAfterRefundWindow(current);
    const progress = {
      points: current.points!,
      points_refunded: current.points_refunded ?? 0,
      amount_cancelled: current.amount_cancelled ?? 0,
      order_subtotal: current.order_subtotal ?? null,
    };
    if (cancellation.amount !== undefined && !canApportion(progress)) {
      refuse(
        'order_subtotal_unknown',
        `Order ${cancellation.order_id} did not say its subtotal; cancel the whole order or its items instead.`,
      );
    }
    const step = refundStep(progress, cancellation.amount);
    const cancellations = [
      ...(current.order_cancellations ?? []),
      { id: cancellation.cancellation_id, points: step.refund },
    ];
    const allRefunded = step.points_refunded >= progress.points;
    await store(`Refund ${step.refund} points: part of order ${cancellation.order_id} cancelled`).refundOrderPart({
      redemptionId,
      memberId: current.member_id!,
      cancellationId: cancellation.cancellation_id,
      refund: step.refund,
      pointsRefunded: step.points_refunded,
      amountCancelled: step.amount_cancelled,
      cancellations,
      allRefunded,
      version: current.version + 1,
    });
    Object.assign(current, {
      points_refunded: step.points_refunded,
      amount_cancelled: step.amount_cancelled,
      order_cancellations: cancellations,
    });
    if (allRefunded) {
      await giveSlotsBack(current);
      current.version += 1;
      current.status = 'refunded';
      upsertSearchAttributes([{ key: RedemptionStatusKey, value: 'refunded' }]);
    }
    showState(current);
    return { ...outcomeOf(current), cancellation_refund: step.refund };
  }

  setHandler(
    cancelOrderUpdate,
    (cancellation) =>
      inTurn(async () => {
        const current = await loaded();
        const { order_id, cancellation_id } = cancellation;
        if (current.order_id !== order_id) refuse('order_mismatch', 'This redemption was not used by that order.');
        if (cancellation_id !== undefined) return refundPart(current, { ...cancellation, cancellation_id });
        if (current.status !== 'completed') return outcomeOf(current);
        refuseAfterRefundWindow(current);
        await refund(current, `order ${order_id} cancelled`);
        return outcomeOf(current);
      }),
    { validator: (cancellation) => refuseProblem(orderCancellationProblem(cancellation)) },
  );

  setHandler(refundRedemptionUpdate, (note) => inTurn(() => operatorRefund(note)));

  async function operatorRefund(note: OperatorNote): Promise<RedemptionOutcome> {
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
  }

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
