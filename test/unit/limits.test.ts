import { describe, expect, it } from 'vitest';
import { limitScopes, optionLimitsSchema, periodKey } from '../../domain/limits';

const at = (iso: string) => new Date(iso);

describe('limit periods', () => {
  it('keys a day, a month and a lifetime in UTC', () => {
    expect(periodKey('day', at('2026-11-27T23:59:59.999Z'))).toBe('2026-11-27');
    expect(periodKey('day', at('2026-11-28T00:00:00Z'))).toBe('2026-11-28');
    // 01:30 in Riyadh (UTC+3) is still the day before in UTC.
    expect(periodKey('day', at('2026-11-28T01:30:00+03:00'))).toBe('2026-11-27');
    expect(periodKey('month', at('2026-11-30T23:59:59Z'))).toBe('2026-11');
    expect(periodKey('month', at('2026-12-01T00:00:00Z'))).toBe('2026-12');
    expect(periodKey('lifetime', at('2026-11-27T12:00:00Z'))).toBe('lifetime');
    expect(periodKey('lifetime', at('1999-01-01T00:00:00Z'))).toBe('lifetime');
  });

  it('keys ISO weeks from Monday to Sunday, in the year of their Thursday', () => {
    expect(periodKey('week', at('2026-11-23T00:00:00Z'))).toBe('2026-W48'); // Monday
    expect(periodKey('week', at('2026-11-27T12:00:00Z'))).toBe('2026-W48');
    expect(periodKey('week', at('2026-11-29T23:59:59Z'))).toBe('2026-W48'); // Sunday
    expect(periodKey('week', at('2026-11-30T00:00:00Z'))).toBe('2026-W49'); // the next Monday
    // 2026-01-01 is a Thursday: its week is week 1 of 2026, from Monday 2025-12-29.
    expect(periodKey('week', at('2025-12-28T23:59:59Z'))).toBe('2025-W52');
    expect(periodKey('week', at('2025-12-29T00:00:00Z'))).toBe('2026-W01');
    // 2027-01-01 is a Friday: it still belongs to the last week of 2026, which has 53.
    expect(periodKey('week', at('2027-01-01T00:00:00Z'))).toBe('2026-W53');
    expect(periodKey('week', at('2027-01-03T23:59:59Z'))).toBe('2026-W53');
    expect(periodKey('week', at('2027-01-04T00:00:00Z'))).toBe('2027-W01');
    // A leap year's last days: 2024-12-30 is a Monday in week 1 of 2025.
    expect(periodKey('week', at('2024-12-29T12:00:00Z'))).toBe('2024-W52');
    expect(periodKey('week', at('2024-12-31T12:00:00Z'))).toBe('2025-W01');
  });

  it('counts a member per option, member and period, and the stock per option', () => {
    const limits = { per_member: { count: 3, period: 'week' as const }, stock: 50 };
    expect(limitScopes(limits, 7, 'mbr_1', at('2026-11-27T10:00:00Z'))).toEqual([
      { kind: 'member', scope: 'member/7/mbr_1/2026-W48', limit: 3 },
      { kind: 'stock', scope: 'stock/7', limit: 50 },
    ]);
    expect(limitScopes({ stock: 1 }, 7, 'mbr_1', new Date())).toEqual([{ kind: 'stock', scope: 'stock/7', limit: 1 }]);
  });

  it('accepts a per-member limit, a stock or both, as positive integers', () => {
    expect(optionLimitsSchema.safeParse({ stock: 5 }).success).toBe(true);
    expect(optionLimitsSchema.safeParse({ per_member: { count: 1, period: 'lifetime' } }).success).toBe(true);
    expect(optionLimitsSchema.safeParse({}).success).toBe(false);
    expect(optionLimitsSchema.safeParse({ stock: 0 }).success).toBe(false);
    expect(optionLimitsSchema.safeParse({ per_member: { count: 1, period: 'day', extra: 1 } }).success).toBe(false);
  });
});
