/**
 * Redemption limits of an option: how often one member may redeem it per period, and how many redemptions it has in
 * all (its stock). Each limit is counted in a scope: the stock in one per option, a member's use in one per option,
 * member and period (the UTC day, ISO week or month the redemption claimed its slot in, or the member's lifetime).
 */
import { z } from 'zod';

export const LIMIT_PERIODS = ['day', 'week', 'month', 'lifetime'] as const;
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];

const count = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const optionLimitsSchema = z
  .object({
    per_member: z
      .object({ count, period: z.enum(LIMIT_PERIODS) })
      .strict()
      .optional()
      .meta({ description: 'How many redemptions of the option one member may make per period (UTC)' }),
    stock: count.optional().meta({ description: 'How many redemptions of the option there can be in all' }),
  })
  .strict()
  .refine((limits) => limits.per_member !== undefined || limits.stock !== undefined, {
    message: 'must set per_member, stock or both',
  })
  .meta({
    id: 'RedemptionOptionLimits',
    anyOf: [{ required: ['per_member'] }, { required: ['stock'] }],
    description:
      'Caps on redemptions: per member and period, and in all. A cancelled, expired, compensated, refunded or ' +
      'rejected redemption gives its slot back.',
  });
export type OptionLimits = z.output<typeof optionLimitsSchema>;

/** Which limit a slot counts against. */
export type LimitKind = 'member' | 'stock';

/** The slot a redemption holds in one limit: its scope is fixed when it is claimed, and it is given back there. */
export interface LimitSlot {
  kind: LimitKind;
  scope: string;
}

/** The rejection reason of a redemption that found no room in a limit. */
export const LIMIT_REFUSALS = { member: 'member_limit_reached', stock: 'out_of_stock' } as const;
export type LimitRefusal = (typeof LIMIT_REFUSALS)[LimitKind];

export function isLimitRefusal(value: unknown): value is LimitRefusal {
  return Object.values<unknown>(LIMIT_REFUSALS).includes(value);
}

/** The period `at` falls in, in UTC: `2026-11-27`, ISO week `2026-W48`, `2026-11`, or `lifetime`. */
export function periodKey(period: LimitPeriod, at: Date): string {
  const date = at.toISOString().slice(0, 10);
  switch (period) {
    case 'day':
      return date;
    case 'month':
      return date.slice(0, 7);
    case 'lifetime':
      return 'lifetime';
    case 'week': {
      // An ISO week belongs to the year of its Thursday, and week 1 is the one holding that year's first Thursday.
      const thursday = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
      thursday.setUTCDate(thursday.getUTCDate() + 3 - ((thursday.getUTCDay() + 6) % 7));
      const year = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
      return `${year}-W${String(week).padStart(2, '0')}`;
    }
  }
}

/** The limits a redemption must find room in, each with its scope and its cap, per-member first. */
export function limitScopes(
  limits: OptionLimits,
  optionId: number,
  memberId: string,
  at: Date,
): Array<LimitSlot & { limit: number }> {
  const scopes: Array<LimitSlot & { limit: number }> = [];
  if (limits.per_member) {
    const { count: limit, period } = limits.per_member;
    scopes.push({ kind: 'member', scope: `member/${optionId}/${memberId}/${periodKey(period, at)}`, limit });
  }
  if (limits.stock !== undefined) scopes.push({ kind: 'stock', scope: `stock/${optionId}`, limit: limits.stock });
  return scopes;
}
