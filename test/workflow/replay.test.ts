import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { recordedHistories } from '../harness/histories';

/**
 * Every path a recorded history stands for, and the workflow that ran it. A path is recorded once, in the folder of
 * the release that added it (`RECORD_HISTORIES=1`, see test/harness/histories.ts); a change of a path is a new one.
 */
const EXPECTED_PATHS: Record<string, string> = {
  'immediate-completed': 'redemptionWorkflow',
  'immediate-compensated': 'redemptionWorkflow',
  rejected: 'redemptionWorkflow',
  'delayed-captured': 'redemptionWorkflow',
  'order-cancelled-refunded': 'redemptionOrdersWorkflow',
  // Part of the order cancelled by amount, three times: the third refunds the rest.
  'order-partly-cancelled': 'redemptionOrdersWorkflow',
  'delayed-expired': 'redemptionWorkflow',
  'delayed-cancelled': 'redemptionWorkflow',
  'needs-review-not-fulfilled': 'redemptionWorkflow',
  // An option with limits: a slot taken before the points, and given back.
  'limited-delayed-cancelled': 'redemptionWorkflow',
  'limited-compensated': 'redemptionWorkflow',
  // Its limit full of redemptions whose points were not reserved yet: it paused until they were decided.
  'limited-waited-for-undecided': 'redemptionWorkflow',
  // Recorded before workflows carried the member's id instead of their identifier (scrubbed here): such workflows,
  // still running from before, find their member by the identifier in their input.
  'legacy-request-with-identifiers': 'redemptionWorkflow',
  // An order with several coupons holds a waiting coupon, lets go of it when another coupon is refused, and the next
  // order holds and captures it.
  'multi-coupon-claimed-released': 'redemptionWorkflow',
  // The same for a completed coupon, whose order events go to its orders workflow; then an order records it.
  'orders-claimed-released': 'redemptionOrdersWorkflow',
  'orders-order-recorded': 'redemptionOrdersWorkflow',
  // Operators: a hold released (releaseHold), a waiting redemption cancelled in the Temporal UI (Temporal Cancel), a
  // completed redemption refunded, and a review resolved as fulfilled.
  'operator-released': 'redemptionWorkflow',
  'temporal-cancelled': 'redemptionWorkflow',
  'orders-operator-refunded': 'redemptionOrdersWorkflow',
  'review-fulfilled': 'redemptionWorkflow',
  // A completed redemption refunded by an operator while an order held its coupon, so its own workflow still ran.
  'operator-refunded-while-claimed': 'redemptionWorkflow',
  // The order cancelled while the partner was being called: the redemption's own workflow refunds it.
  'order-cancelled-while-fulfilling': 'redemptionWorkflow',
  // Without a partner to call, the step that moves the points completes the redemption too (complete-with-points).
  'immediate-completed-with-points': 'redemptionWorkflow',
  'delayed-captured-completed-with-points': 'redemptionWorkflow',
  'delayed-captured-after-hold-head': 'redemptionWorkflow',
  'delayed-expired-after-hold-head': 'redemptionWorkflow',
  // An option without limits that came with the request: the first step moves the points too (begin-with-points),
  // without a partner, with one, held and captured, held and expired, and refused.
  'immediate-began-with-points': 'redemptionWorkflow',
  'immediate-completed-began-with-points': 'redemptionWorkflow',
  'delayed-captured-began-with-points': 'redemptionWorkflow',
  'delayed-expired-began-with-points': 'redemptionWorkflow',
  'rejected-began-with-points': 'redemptionWorkflow',
  // Started eagerly beside its worker: no update; the workflow's result answered Create Redemption.
  'immediate-completed-started-eagerly': 'redemptionWorkflow',
  'webhook-lane-ended': 'webhookLaneWorkflow',
  // A lane that waited for a nudge with no activity running, woken by the next event and by its endpoint's deletion.
  'webhook-lane-waits-for-nudges': 'webhookLaneWorkflow',
  // A Deliverect order handed over and then cancelled; a cancellation that came before its order and waited for it;
  // one whose order never came, given to the dead letters.
  'deliverect-order-cancelled': 'deliverectOrderWorkflow',
  'deliverect-cancel-before-order': 'deliverectOrderWorkflow',
  'deliverect-cancel-never-ordered': 'deliverectOrderWorkflow',
  'ledger-reconciliation': 'ledgerReconciliationWorkflow',
  // One expiry pass started by its schedule, caught up in one call.
  'points-expiry': 'pointsExpiryWorkflow',
};

const workflowTypeOf = (history: ReturnType<typeof historyFromJSON>) =>
  history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

describe('replay of recorded histories', () => {
  const recorded = recordedHistories().map(({ release, name, file }) => ({
    name,
    workflowId: `${release}/${name}`,
    history: historyFromJSON(JSON.parse(readFileSync(file, 'utf8'))),
  }));

  it('has a recorded history of every path, run by the workflow that path belongs to', () => {
    expect([...new Set(recorded.map(({ name }) => name))].sort()).toEqual(Object.keys(EXPECTED_PATHS).sort());
    for (const { workflowId, name, history } of recorded) {
      expect(workflowTypeOf(history), workflowId).toBe(EXPECTED_PATHS[name]);
    }
  });

  it('replays every recorded history with today’s workflow code without a determinism error', async () => {
    const workflowBundle = { code: readFileSync(inject('workflowBundlePath'), 'utf8') };
    const replayed: string[] = [];
    const histories = recorded.map(({ workflowId, history }) => ({ workflowId, history }));
    for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
      expect(result.error, `${result.workflowId}: ${result.error?.message}`).toBeUndefined();
      replayed.push(result.workflowId);
    }
    expect(replayed.sort()).toEqual(recorded.map(({ workflowId }) => workflowId).sort());
  });
});
