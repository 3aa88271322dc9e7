/**
 * Refunds of a redemption whose own workflow ended: its order cancelled in whole or in part within the refund window
 * (domain/refund-window.ts, domain/partial-refund.ts), or an operator's refund at any time. Each runs in its turn.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { RedemptionState } from '../../activities/redemption-steps';
import { operatorInputProblem, type OperatorNote } from '../../domain/operator-actions';
import { canApportion, refundStep } from '../../domain/partial-refund';
import type { OrderCancellation, RedemptionOutcome } from '../../domain/redemption';
import { checkRefundWindow } from '../../domain/refund-window';
import { RedemptionStatusKey } from '../../domain/search-attributes';
import { refuse, refuseAnotherOrder, refuseRefund } from '../refusals';
import { store } from '../store-steps';
import { loaded, outcomeOf, showState, type OrdersRun } from './run';

export async function cancelOrder(run: OrdersRun, cancellation: OrderCancellation): Promise<RedemptionOutcome> {
  const current = await loaded(run);
  const { order_id, cancellation_id } = cancellation;
  if (current.order_id !== order_id) refuseAnotherOrder();
  if (cancellation_id !== undefined) return refundPart(run, current, { ...cancellation, cancellation_id });
  if (current.status !== 'completed') return outcomeOf(run, current);
  refuseAfterRefundWindow(run, current);
  await refund(run, current, `order ${order_id} cancelled`, cancellation.client);
  return outcomeOf(run, current);
}

export async function operatorRefund(run: OrdersRun, note: OperatorNote): Promise<RedemptionOutcome> {
  const problem = operatorInputProblem(note, { reasonRequired: true });
  if (problem) refuse('invalid_operator_action', problem);
  const current = await loaded(run);
  if (current.status !== 'completed') refuseRefund(current.status);
  await store('Record the operator refund').recordOperatorAction({
    redemptionId: run.redemptionId,
    action: 'refund',
    note,
  });
  await refund(run, current, 'an operator refunded it');
  return outcomeOf(run, current);
}

function refuseAfterRefundWindow(run: OrdersRun, current: RedemptionState): void {
  const window = checkRefundWindow(
    { id: run.redemptionId, completed_at: current.completed_at },
    run.orderRefundWindowSeconds,
    Date.now(),
  );
  if (!window.ok) refuse(window.code, window.message);
}

/** A redemption refunded in full gives its slots in the option's limits back. */
async function giveSlotsBack(run: OrdersRun, current: RedemptionState): Promise<void> {
  const slots = current.limit_slots ?? [];
  if (slots.length > 0) {
    await store('Give back the limit slot (refunded)').releaseLimitSlots({
      redemptionId: run.redemptionId,
      slots,
      cause: 'refunded',
    });
  }
}

/** Gives back every point not given back yet. */
async function refund(run: OrdersRun, current: RedemptionState, why: string, client?: string): Promise<void> {
  const earlier = current.points_refunded ?? 0;
  const points = current.points! - earlier;
  await store(`Refund ${points} points: ${why}`).refundOrder({
    redemptionId: run.redemptionId,
    memberId: current.member_id!,
    points,
    version: current.version + 1,
    ...(earlier > 0 ? { total: current.points! } : {}),
    ...(client !== undefined ? { client } : {}),
  });
  await giveSlotsBack(run, current);
  current.version += 1;
  current.points_refunded = current.points!;
  current.status = 'refunded';
  upsertSearchAttributes([{ key: RedemptionStatusKey, value: 'refunded' }]);
  showState(current);
}

/** Part of the order was cancelled: once per cancellation, what that part is owed (domain/partial-refund.ts). */
async function refundPart(
  run: OrdersRun,
  current: RedemptionState,
  cancellation: OrderCancellation & { cancellation_id: string },
): Promise<RedemptionOutcome> {
  const applied = (current.order_cancellations ?? []).find((one) => one.id === cancellation.cancellation_id);
  if (applied) return { ...outcomeOf(run, current), cancellation_refund: applied.points };
  if (current.status !== 'completed') return { ...outcomeOf(run, current), cancellation_refund: 0 };
  refuseAfterRefundWindow(run, current);
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
    redemptionId: run.redemptionId,
    memberId: current.member_id!,
    cancellationId: cancellation.cancellation_id,
    refund: step.refund,
    pointsRefunded: step.points_refunded,
    amountCancelled: step.amount_cancelled,
    cancellations,
    allRefunded,
    version: current.version + 1,
    ...(cancellation.client !== undefined ? { client: cancellation.client } : {}),
  });
  Object.assign(current, {
    points_refunded: step.points_refunded,
    amount_cancelled: step.amount_cancelled,
    order_cancellations: cancellations,
  });
  if (allRefunded) {
    await giveSlotsBack(run, current);
    current.version += 1;
    current.status = 'refunded';
    upsertSearchAttributes([{ key: RedemptionStatusKey, value: 'refunded' }]);
  }
  showState(current);
  return { ...outcomeOf(run, current), cancellation_refund: step.refund };
}
