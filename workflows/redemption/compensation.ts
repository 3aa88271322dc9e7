/**
 * Undoing what the saga did when fulfilment fails for good. Each undo is registered only once its step succeeded, and
 * they run newest first; the redemption is marked compensated after the last of them has succeeded.
 */
import type { RedemptionOutcome } from '../../domain/redemption';
import { store } from '../store-steps';
import { giveSlotsBack, type RedemptionTerms } from './eligibility';
import { pointsOf } from './points';
import { finish, nextVersion, statusChanged, type RedemptionRun } from './run';

export interface Compensation {
  name: string;
  run: () => Promise<unknown>;
}

/** The undos of everything done before fulfilment: the limit slot taken, the points moved, the coupon issued. */
export function compensationsOf(run: RedemptionRun, terms: RedemptionTerms): Compensation[] {
  const compensations: Compensation[] = [];
  if (run.slots.length > 0) {
    compensations.unshift({ name: 'give back the limit slot', run: () => giveSlotsBack(run, 'compensated') });
  }
  compensations.unshift({
    name: 'refund points',
    run: () => store(`Compensate: refund ${terms.points} points`).refundPoints(pointsOf(run, terms)),
  });
  compensations.unshift({
    name: 'void coupon',
    run: () => store('Compensate: void the coupon').voidCoupon({ redemptionId: run.id }),
  });
  return compensations;
}

/**
 * Runs every undo, each to its end: a store step waits for the store however long it takes, so the redemption is
 * marked compensated only once the coupon is void, the points refunded and the slot given back.
 */
export async function compensate(
  run: RedemptionRun,
  compensations: Compensation[],
  failure: string,
): Promise<RedemptionOutcome> {
  for (const compensation of compensations) await compensation.run();
  await store('Mark compensated').markCompensated({ redemptionId: run.id, version: nextVersion(run), failure });
  statusChanged(run, 'compensated');
  return finish(run);
}
