/**
 * Undoing what the saga did when fulfilment fails for good. Each undo is registered only once its step succeeded, and
 * they run newest first; the redemption is marked compensated after the last of them.
 */
import { log } from '@temporalio/workflow';
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

export async function compensate(
  run: RedemptionRun,
  compensations: Compensation[],
  failure: string,
): Promise<RedemptionOutcome> {
  for (const compensation of compensations) {
    try {
      await compensation.run();
    } catch (undoError) {
      log.error('compensation step failed', {
        redemptionId: run.id,
        step: compensation.name,
        error: String(undoError),
      });
    }
  }
  await store('Mark compensated').markCompensated({ redemptionId: run.id, version: nextVersion(run), failure });
  statusChanged(run, 'compensated');
  return finish(run);
}
