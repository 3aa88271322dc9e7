import type { RejectionReason } from './states';
import type { RedemptionOption } from './options';

export type PointsDecision = { ok: true; points: number; valueMinor?: number } | { ok: false; reason: RejectionReason };

/**
 * How many points a redemption of this option costs. Fixed options cost `cost_points` and take no
 * point_redemptions other than that same number; variable options convert `point_redemptions`, a positive whole
 * multiple of `points_per_unit`, into `unit_value` minor units per unit.
 */
export function pointsForRedemption(option: RedemptionOption, pointRedemptions: number | undefined): PointsDecision {
  if (option.type !== 'variable') {
    const cost = option.cost_points!;
    if (pointRedemptions !== undefined && pointRedemptions !== cost) return { ok: false, reason: 'invalid_points' };
    return { ok: true, points: cost };
  }
  if (pointRedemptions === undefined) return { ok: false, reason: 'points_required' };
  const perUnit = option.points_per_unit!;
  if (pointRedemptions <= 0 || pointRedemptions % perUnit !== 0) return { ok: false, reason: 'invalid_points' };
  return { ok: true, points: pointRedemptions, valueMinor: (pointRedemptions / perUnit) * option.unit_value! };
}

/** The discount this reward gives on a subtotal, in minor units, rounded down and never above the subtotal. */
export function discountOnSubtotal(option: RedemptionOption, subtotalMinor: number, valueMinor?: number): number {
  switch (option.type) {
    case 'discount_amount':
      return Math.min(option.discount!, subtotalMinor);
    case 'discount_percentage':
      return Math.floor((subtotalMinor * option.discount!) / 10_000);
    case 'variable':
      return Math.min(valueMinor ?? 0, subtotalMinor);
    default:
      return 0;
  }
}
