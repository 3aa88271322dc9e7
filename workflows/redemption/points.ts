/**
 * The member's points: debited now with the coupon issued (immediate), or held and the coupon issued, then captured
 * when the order arrives or released when it never does or the redemption is cancelled (delayed).
 */
import { condition, patched } from '@temporalio/workflow';
import type { ReservedPoints, ReservePointsInput } from '../../activities/redemption-steps';
import type { LedgerHeadState } from '../../domain/ledger';
import { FailureType } from '../../domain/failures';
import type { OrderCapture, RedemptionOutcome } from '../../domain/redemption';
import { CouponCodeKey, PartnerKey } from '../../domain/search-attributes';
import { isFailureOfType } from '../activity-failures';
import { store } from '../store-steps';
import { giveSlotsBack, type RedemptionTerms } from './eligibility';
import { needsPartnerFor } from './fulfilment';
import { finish, nextVersion, statusChanged, type RedemptionRun } from './run';

/**
 * With no partner to call, the step that moves the points completes the redemption in the same write (its trail still
 * shows redeeming, then completed). Workflows started before run a step of their own to complete; those that began
 * with their points (begin-with-points.ts) are newer.
 */
function completesWithPoints(run: RedemptionRun, partner: RedemptionTerms['partner'], order?: OrderCapture): boolean {
  return !needsPartnerFor(partner, order) && (run.beganWithPoints || patched('complete-with-points'));
}

/** What the ledger steps are told about the redemption's points. */
export function pointsOf(run: RedemptionRun, terms: RedemptionTerms) {
  return { redemptionId: run.id, memberId: terms.memberId, points: terms.points };
}

/** The order's subtotal for a store step, when the order said. */
export function subtotalOf(order: OrderCapture): { orderSubtotal?: number } {
  return order.subtotal !== undefined ? { orderSubtotal: order.subtotal } : {};
}

/** The API client behind a request, for a store step's audit events, when there is one. */
export function clientOf({ client }: { client?: string | undefined }): { client?: string } {
  return client !== undefined ? { client } : {};
}

/** Debits or holds the points and issues the coupon; false when the ledger no longer has the points. */
export async function reservePoints(run: RedemptionRun, terms: RedemptionTerms): Promise<boolean> {
  const { delayed, partner } = terms;
  const { order } = run;
  const completes = !delayed && completesWithPoints(run, partner, order);
  const version = nextVersion(run);
  const completedVersion = completes ? nextVersion(run) : undefined;
  const summary = `${delayed ? 'Hold' : 'Debit'} ${terms.points} points and issue the coupon${completes ? ', completed' : ''}`;
  // A hold hands back the ledger head it left, so that the capture need not read it again. Holds recorded before ran
  // the step that answers the coupon code alone.
  const step = delayed && patched('hold-hands-back-ledger-head') ? 'reservePointsWithLedgerHead' : 'reservePoints';
  let reserved: string | ReservedPoints;
  try {
    reserved = await store(summary)[step]({
      ...pointsOf(run, terms),
      version,
      ...(completedVersion !== undefined ? { completedVersion } : {}),
      delayed,
      ...(run.ledgerHead ? { knownHead: run.ledgerHead } : {}),
      ...(run.slots.length > 0 ? { slots: run.slots } : {}),
      changes: { currency: terms.currency, ...reservedChanges(terms, order) },
    });
  } catch (error) {
    if (isFailureOfType(error, FailureType.InsufficientPoints)) return false;
    throw error;
  }
  pointsReserved(
    run,
    terms,
    typeof reserved === 'string' ? { couponCode: reserved, ledgerHead: undefined } : reserved,
    completes,
  );
  return true;
}

/**
 * What the step that debits or holds the points writes to the redemption besides its currency: the partner, when the
 * coupon expires, and the order a debit was for.
 */
export function reservedChanges(
  { delayed, partner, expiresAt }: Pick<RedemptionTerms, 'delayed' | 'partner' | 'expiresAt'>,
  order: OrderCapture | undefined,
): Omit<ReservePointsInput['changes'], 'currency'> {
  return {
    partner,
    ...(expiresAt ? { expires_at: expiresAt } : {}),
    ...(!delayed && order ? { order_id: order.order_id } : {}),
    ...(!delayed && order?.subtotal !== undefined ? { order_subtotal: order.subtotal } : {}),
  };
}

/** The points are debited or held and the coupon issued: the redemption's new status, with what operators search. */
export function pointsReserved(
  run: RedemptionRun,
  { delayed, partner }: RedemptionTerms,
  {
    couponCode,
    ledgerHead,
    redemption,
  }: Pick<ReservedPoints, 'couponCode' | 'redemption'> & { ledgerHead?: LedgerHeadState },
  completes: boolean,
): void {
  run.outcome.coupon_code = couponCode;
  run.stored = redemption;
  // The head the first step read is behind the entry this step wrote.
  run.ledgerHead = ledgerHead;
  statusChanged(run, delayed ? 'awaiting_order' : completes ? 'completed' : 'redeeming', [
    ...run.found,
    ...(partner ? [{ key: PartnerKey, value: partner }] : []),
    { key: CouponCodeKey, value: couponCode },
  ]);
}

/**
 * Waits for the order until the coupon expires, or until the redemption is cancelled. An order that arrives together
 * with the deadline still wins: its update was accepted. A coupon an order held when its time ran out stays usable by
 * that order until the hold lapses.
 */
export async function waitForOrder(run: RedemptionRun, terms: RedemptionTerms): Promise<OrderCapture | undefined> {
  const decided = () => run.order !== undefined || run.cancelRequested || run.cancelledByOperator !== undefined;
  await condition(decided, terms.ttlSeconds * 1000, { summary: `Coupon expires at ${terms.expiresAt}` });
  await run.claim.whileHeld(decided);
  return run.order;
}

/** No order came: the hold is released, and the redemption ends cancelled or expired. */
export async function releaseHeldPoints(run: RedemptionRun, terms: RedemptionTerms): Promise<RedemptionOutcome> {
  const status = run.cancelRequested || run.cancelledByOperator ? 'cancelled' : 'expired';
  await store(`Release ${terms.points} held points (${status})`).releasePoints({
    ...pointsOf(run, terms),
    version: nextVersion(run),
    status,
    ...clientOf({ client: run.cancelRequested ? run.cancelledBy : undefined }),
  });
  await giveSlotsBack(run, status);
  statusChanged(run, status);
  return finish(run);
}

export async function captureHeldPoints(
  run: RedemptionRun,
  terms: RedemptionTerms,
  order: OrderCapture,
): Promise<void> {
  const completes = completesWithPoints(run, terms.partner, order);
  const version = nextVersion(run);
  const completedVersion = completes ? nextVersion(run) : undefined;
  await store(
    `Capture ${terms.points} held points for order ${order.order_id}${completes ? ', completed' : ''}`,
  ).capturePoints({
    ...pointsOf(run, terms),
    version,
    ...(completedVersion !== undefined ? { completedVersion } : {}),
    ...(run.ledgerHead ? { knownHead: run.ledgerHead } : {}),
    orderId: order.order_id,
    sourcePartner: order.source_partner ?? null,
    ...subtotalOf(order),
    ...clientOf(order),
  });
  statusChanged(run, completes ? 'completed' : 'redeeming');
}
