/**
 * A later event on a redemption whose own workflow has ended: an order that uses a completed redemption's coupon, or
 * the cancellation of the order that used it, which refunds the points within the refund window. Its id is derived
 * from the redemption's, so events for one redemption are handled one run at a time; each run handles what it was
 * sent and ends.
 *
 * The run's state is in redemption-orders/run.ts; each update's handler is a function of redemption-orders/.
 */
import {
  allHandlersFinished,
  condition,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { orderCancellationProblem } from '../domain/partial-refund';
import { RedemptionStatusKey } from '../domain/search-attributes';
import {
  cancelOrderUpdate,
  captureOrderUpdate,
  claimForOrderUpdate,
  refundRedemptionUpdate,
  releaseClaimUpdate,
} from './messages';
import { captureOrder, claimForOrder, releaseClaim } from './redemption-orders/coupon-handlers';
import { cancelOrder, operatorRefund } from './redemption-orders/refunds';
import { showState, startOrdersRun, type RedemptionOrdersInput } from './redemption-orders/run';
import { refuse } from './refusals';

export type { RedemptionOrdersInput } from './redemption-orders/run';

export async function redemptionOrdersWorkflow(input: RedemptionOrdersInput): Promise<void> {
  const run = startOrdersRun(input);
  setHandler(claimForOrderUpdate, (capture) => claimForOrder(run, capture));
  setHandler(releaseClaimUpdate, ({ order_id }) => releaseClaim(run, order_id));
  setHandler(captureOrderUpdate, (capture) => captureOrder(run, capture));
  setHandler(cancelOrderUpdate, (cancellation) => run.inTurn(() => cancelOrder(run, cancellation)), {
    validator: (cancellation) => {
      const problem = orderCancellationProblem(cancellation);
      if (problem) refuse('invalid_order_cancellation', problem);
    },
  });
  setHandler(refundRedemptionUpdate, (note) => run.inTurn(() => operatorRefund(run, note)));

  // Awaited as it is, not through loaded(): every handler waits for the same load, and how many steps each takes after
  // it decides the order of their commands, which recorded histories hold.
  const state = await run.loading;
  if (state) {
    upsertSearchAttributes([{ key: RedemptionStatusKey, value: state.status }]);
    showState(state);
  } else {
    setCurrentDetails(`Redemption ${input.redemptionId} was not found`);
  }
  await condition(allHandlersFinished);
  while (run.claim.holder !== null) {
    await run.claim.wait();
    await condition(allHandlersFinished);
  }
}
