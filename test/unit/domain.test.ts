import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { COUPON_ALPHABET, COUPON_LENGTH, couponCodeFromRandomBytes, normalizeCouponCode } from '../../domain/coupon';
import { checkCouponUse, type CouponState } from '../../domain/coupon-use';
import { formatMoney, minorUnits } from '../../domain/currency';
import { checkEligibility, checkOrderAgainstOption, type EligibilityInput } from '../../domain/eligibility';
import { optionInputSchema, OPTION_TYPES, type OptionType, type RedemptionOption } from '../../domain/options';
import { discountOnSubtotal, pointsForRedemption } from '../../domain/reward';
import { reviewResolutionProblem } from '../../domain/review';
import { isDecided, isFinal, REDEMPTION_STATUSES, type RedemptionStatus } from '../../domain/states';
import { replayWindow, webhookReplayInputSchema } from '../../domain/webhook-replay';

let nextOptionId = 1;

/** A catalogue option as the store returns it: the parsed input plus its id and creation time. */
function makeOption(input: Record<string, unknown>): RedemptionOption {
  return { id: nextOptionId++, created_at: '2025-01-01T00:00:00.000Z', ...optionInputSchema.parse(input) };
}

const fixed = (overrides: Record<string, unknown> = {}) =>
  makeOption({
    name: '10 SAR off',
    type: 'discount_amount',
    cost_points: 100,
    discount: 1000,
    currency: 'SAR',
    ...overrides,
  });

const variable = (overrides: Record<string, unknown> = {}) =>
  makeOption({
    name: 'Points to money',
    type: 'variable',
    points_per_unit: 50,
    unit_value: 100,
    currency: 'SAR',
    ...overrides,
  });

/** The minimal valid input of each type. */
const VALID_INPUTS: Record<OptionType, Record<string, unknown>> = {
  discount_amount: { name: 'a', type: 'discount_amount', cost_points: 100, discount: 500, currency: 'SAR' },
  discount_percentage: { name: 'b', type: 'discount_percentage', cost_points: 100, discount: 5000, currency: 'SAR' },
  free_item: { name: 'c', type: 'free_item', cost_points: 100, item_plu: 'PLU-1', currency: 'SAR' },
  buy_one_get_one_free: {
    name: 'd',
    type: 'buy_one_get_one_free',
    cost_points: 100,
    item_plu: 'PLU-2',
    currency: 'KWD',
  },
  item_discount_amount: {
    name: 'e',
    type: 'item_discount_amount',
    cost_points: 100,
    item_plu: 'PLU-3',
    discount: 250,
    currency: 'SAR',
  },
  item_discount_percentage: {
    name: 'f',
    type: 'item_discount_percentage',
    cost_points: 100,
    item_plu: 'PLU-4',
    discount: 2500,
    currency: 'JPY',
  },
  variable: { name: 'g', type: 'variable', points_per_unit: 50, unit_value: 100, currency: 'SAR' },
};

/** A copy of an input without one field. */
function without(input: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...input };
  delete copy[field];
  return copy;
}

/** The distinct paths of the issues a rejected input raises. */
function issuePaths(input: Record<string, unknown>): string[] {
  const result = optionInputSchema.safeParse(input);
  expect(result.success).toBe(false);
  return result.success ? [] : [...new Set(result.error.issues.map((issue) => issue.path.join('.')))];
}

describe('currency', () => {
  it('knows the minor-unit digits of SAR (2), KWD (3) and JPY (0)', () => {
    expect(minorUnits('SAR')).toBe(2);
    expect(minorUnits('KWD')).toBe(3);
    expect(minorUnits('JPY')).toBe(0);
  });

  it('formats integer minor units with the currency’s own decimals', () => {
    expect(formatMoney(1050, 'SAR')).toBe('10.50 SAR');
    expect(formatMoney(1500, 'KWD')).toBe('1.500 KWD');
    expect(formatMoney(5, 'KWD')).toBe('0.005 KWD');
    expect(formatMoney(700, 'JPY')).toBe('700 JPY');
    expect(formatMoney(0, 'SAR')).toBe('0.00 SAR');
  });

  it('puts the minus sign in front of negative amounts', () => {
    expect(formatMoney(-1050, 'SAR')).toBe('-10.50 SAR');
    expect(formatMoney(-5, 'KWD')).toBe('-0.005 KWD');
    expect(formatMoney(-7, 'SAR')).toBe('-0.07 SAR');
    expect(formatMoney(-700, 'JPY')).toBe('-700 JPY');
  });

  it('throws for a currency it does not support', () => {
    expect(() => minorUnits('XYZ')).toThrow(/Unsupported currency XYZ/);
    expect(() => formatMoney(100, 'XYZ')).toThrow(/Unsupported currency/);
    expect(() => minorUnits('sar')).toThrow();
  });
});

describe('coupon codes', () => {
  const canonical = new RegExp(
    `^[${COUPON_ALPHABET}]{4}-[${COUPON_ALPHABET}]{4}-[${COUPON_ALPHABET}]{4}-[${COUPON_ALPHABET}]{4}$`,
  );
  const fromCrypto = () => couponCodeFromRandomBytes(() => randomBytes(24));

  it('uses an alphabet free of look-alike characters', () => {
    for (const lookAlike of ['0', 'O', '1', 'I', 'L']) expect(COUPON_ALPHABET).not.toContain(lookAlike);
    expect(new Set(COUPON_ALPHABET).size).toBe(COUPON_ALPHABET.length);
  });

  it('draws XXXX-XXXX-XXXX-XXXX codes of the alphabet only from crypto random bytes', () => {
    for (let i = 0; i < 500; i++) {
      const code = fromCrypto();
      expect(code).toMatch(canonical);
      expect(code).not.toMatch(/[01OIL]/);
    }
  });

  it('gives 10,000 distinct codes in 10,000 draws', () => {
    const codes = new Set<string>();
    for (let i = 0; i < 10_000; i++) codes.add(fromCrypto());
    expect(codes.size).toBe(10_000);
  });

  it('carries at least 60 bits of randomness', () => {
    expect(COUPON_LENGTH * Math.log2(COUPON_ALPHABET.length)).toBeGreaterThanOrEqual(60);
  });

  it('skips bytes at or above the rejection limit and keeps drawing until the code is complete', () => {
    const size = COUPON_ALPHABET.length;
    const limit = 256 - (256 % size);
    // First batches hold only biased bytes (≥ limit); then valid bytes 0..15 arrive mixed with more biased ones.
    const batches = [
      Uint8Array.from([limit, 255, 254, limit + 1]),
      Uint8Array.from([255, 255]),
      Uint8Array.from([0, 255, 1, 2, limit, 3, 4, 5, 6, 7]),
      Uint8Array.from([8, 9, 250, 10, 11, 12, 13, 14, 15, 16, 17]),
    ];
    let calls = 0;
    const code = couponCodeFromRandomBytes(() => {
      const batch = batches[calls++];
      if (!batch) throw new Error('asked for more bytes than the code needs');
      return batch;
    });
    expect(calls).toBe(4);
    const expected = Array.from({ length: 16 }, (_, i) => COUPON_ALPHABET[i % size]).join('');
    expect(code).toBe(expected.match(/.{4}/g)!.join('-'));
    // Bytes just under the limit map onto the whole alphabet evenly: the last full cycle ends on the last char.
    const top = couponCodeFromRandomBytes(() => Uint8Array.from(Array.from({ length: 16 }, () => limit - 1)));
    expect(top.replace(/-/g, '')).toBe(COUPON_ALPHABET[size - 1]!.repeat(16));
  });

  it('normalizes lower case, missing dashes and spaces to the canonical form', () => {
    const code = fromCrypto();
    const compact = code.replace(/-/g, '');
    expect(normalizeCouponCode(code)).toBe(code);
    expect(normalizeCouponCode(code.toLowerCase())).toBe(code);
    expect(normalizeCouponCode(compact)).toBe(code);
    expect(normalizeCouponCode(compact.toLowerCase())).toBe(code);
    expect(normalizeCouponCode(` ${compact.slice(0, 4)} ${compact.slice(4, 8)}  ${compact.slice(8)} `)).toBe(code);
    expect(normalizeCouponCode('abcd-efgh-jkmn-pqrs')).toBe('ABCD-EFGH-JKMN-PQRS');
  });

  it('rejects codes of the wrong length or with look-alike characters', () => {
    expect(normalizeCouponCode('ABCD-EFGH-JKMN-PQR')).toBeUndefined();
    expect(normalizeCouponCode('ABCD-EFGH-JKMN-PQRST')).toBeUndefined();
    expect(normalizeCouponCode('')).toBeUndefined();
    expect(normalizeCouponCode('ABCD-EFGH-JKMN-PQR0')).toBeUndefined();
    expect(normalizeCouponCode('ABCD-EFGH-JKMN-PQRO')).toBeUndefined();
    expect(normalizeCouponCode('ABCD-EFGH-JKMN-PQR1')).toBeUndefined();
    expect(normalizeCouponCode('ABCD-EFGH-JKMN-PQRI')).toBeUndefined();
    expect(normalizeCouponCode('abcd-efgh-jkmn-pqrl')).toBeUndefined();
    expect(normalizeCouponCode('ABCD_EFGH_JKMN_PQRS')).toBeUndefined();
  });
});

describe('redemption option input', () => {
  it.each(OPTION_TYPES)('parses a %s option with its required fields', (type) => {
    const result = optionInputSchema.safeParse(VALID_INPUTS[type]);
    expect(result.success).toBe(true);
    expect(result.data?.type).toBe(type);
  });

  it('requires cost_points for every fixed type', () => {
    for (const type of OPTION_TYPES.filter((t) => t !== 'variable')) {
      const input = without(VALID_INPUTS[type], 'cost_points');
      expect(issuePaths(input)).toContain('cost_points');
    }
  });

  it('requires points_per_unit and unit_value for variable options', () => {
    expect(issuePaths({ name: 'v', type: 'variable', currency: 'SAR' })).toEqual(
      expect.arrayContaining(['points_per_unit', 'unit_value']),
    );
    expect(issuePaths({ name: 'v', type: 'variable', points_per_unit: 50, currency: 'SAR' })).toEqual(['unit_value']);
  });

  it('refuses cost_points on variable options and points_per_unit/unit_value on fixed ones', () => {
    expect(issuePaths({ ...VALID_INPUTS.variable, cost_points: 10 })).toEqual(['cost_points']);
    expect(issuePaths({ ...VALID_INPUTS.discount_amount, points_per_unit: 1, unit_value: 1 })).toEqual(
      expect.arrayContaining(['points_per_unit', 'unit_value']),
    );
  });

  it('requires item_plu for every item type', () => {
    for (const type of [
      'free_item',
      'buy_one_get_one_free',
      'item_discount_amount',
      'item_discount_percentage',
    ] as const) {
      const input = without(VALID_INPUTS[type], 'item_plu');
      expect(issuePaths(input)).toEqual(['item_plu']);
    }
  });

  it('requires discount for every discount type', () => {
    for (const type of [
      'discount_amount',
      'discount_percentage',
      'item_discount_amount',
      'item_discount_percentage',
    ] as const) {
      const input = without(VALID_INPUTS[type], 'discount');
      expect(issuePaths(input)).toEqual(['discount']);
    }
  });

  it('accepts a percentage of 10000 basis points and rejects 10001', () => {
    expect(optionInputSchema.safeParse({ ...VALID_INPUTS.discount_percentage, discount: 10_000 }).success).toBe(true);
    expect(issuePaths({ ...VALID_INPUTS.discount_percentage, discount: 10_001 })).toEqual(['discount']);
    expect(issuePaths({ ...VALID_INPUTS.item_discount_percentage, discount: 10_001 })).toEqual(['discount']);
    // An amount discount is minor units, not basis points: no 100% cap.
    expect(optionInputSchema.safeParse({ ...VALID_INPUTS.discount_amount, discount: 10_001 }).success).toBe(true);
  });

  it('rejects ends_at before or equal to starts_at', () => {
    expect(
      issuePaths({ ...VALID_INPUTS.free_item, starts_at: '2025-02-01T00:00:00Z', ends_at: '2025-01-01T00:00:00Z' }),
    ).toEqual(['ends_at']);
    expect(
      issuePaths({ ...VALID_INPUTS.free_item, starts_at: '2025-02-01T00:00:00Z', ends_at: '2025-02-01T00:00:00Z' }),
    ).toEqual(['ends_at']);
    expect(
      optionInputSchema.safeParse({
        ...VALID_INPUTS.free_item,
        starts_at: '2025-01-01T00:00:00Z',
        ends_at: '2025-02-01T00:00:00+03:00',
      }).success,
    ).toBe(true);
  });

  it('rejects unknown fields', () => {
    const result = optionInputSchema.safeParse({ ...VALID_INPUTS.free_item, colour: 'red' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['colour'] });
  });

  it('applies the defaults', () => {
    expect(optionInputSchema.parse(VALID_INPUTS.free_item)).toEqual({
      ...VALID_INPUTS.free_item,
      min_subtotal: 0,
      branch_ids: [],
      business_ref: '',
      partner: null,
      active: true,
    });
  });

  it('requires the currency to be a supported ISO 4217 code', () => {
    expect(issuePaths({ ...VALID_INPUTS.free_item, currency: 'sar' })).toEqual(['currency']);
    expect(issuePaths({ ...VALID_INPUTS.free_item, currency: 'XYZ' })).toEqual(['currency']);
    expect(issuePaths({ ...VALID_INPUTS.free_item, currency: 'SARS' })).toEqual(['currency']);
    const withoutCurrency = without(VALID_INPUTS.free_item, 'currency');
    expect(issuePaths(withoutCurrency)).toEqual(['currency']);
    expect(optionInputSchema.parse({ ...VALID_INPUTS.free_item, currency: 'KWD' }).currency).toBe('KWD');
  });
});

describe('points for a redemption', () => {
  it('charges a fixed option its cost_points when point_redemptions is absent or equal', () => {
    const option = fixed({ cost_points: 120 });
    expect(pointsForRedemption(option, undefined)).toEqual({ ok: true, points: 120 });
    expect(pointsForRedemption(option, 120)).toEqual({ ok: true, points: 120 });
  });

  it('refuses a fixed option with a different point_redemptions as invalid_points', () => {
    const option = fixed({ cost_points: 120 });
    expect(pointsForRedemption(option, 100)).toEqual({ ok: false, reason: 'invalid_points' });
    expect(pointsForRedemption(option, 0)).toEqual({ ok: false, reason: 'invalid_points' });
  });

  it('requires point_redemptions for a variable option', () => {
    expect(pointsForRedemption(variable(), undefined)).toEqual({ ok: false, reason: 'points_required' });
  });

  it('refuses zero, negative and non-multiple point_redemptions for a variable option', () => {
    const option = variable();
    for (const points of [0, -50, 75, 1]) {
      expect(pointsForRedemption(option, points)).toEqual({ ok: false, reason: 'invalid_points' });
    }
  });

  it('converts variable points to money at the option’s rate (250 points at 50/100 → 500 minor units)', () => {
    expect(pointsForRedemption(variable(), 250)).toEqual({ ok: true, points: 250, valueMinor: 500 });
    expect(pointsForRedemption(variable(), 50)).toEqual({ ok: true, points: 50, valueMinor: 100 });
  });
});

describe('discount on a subtotal', () => {
  it('caps an amount discount at the subtotal', () => {
    const option = fixed({ discount: 1000 });
    expect(discountOnSubtotal(option, 5000)).toBe(1000);
    expect(discountOnSubtotal(option, 600)).toBe(600);
  });

  it('applies a percentage in basis points, rounded down', () => {
    expect(discountOnSubtotal(fixed({ type: 'discount_percentage', discount: 5000 }), 1999)).toBe(999);
    expect(discountOnSubtotal(fixed({ type: 'discount_percentage', discount: 10_000 }), 1999)).toBe(1999);
    expect(discountOnSubtotal(fixed({ type: 'discount_percentage', discount: 1 }), 9999)).toBe(0);
  });

  it('caps a variable value at the subtotal', () => {
    expect(discountOnSubtotal(variable(), 2000, 500)).toBe(500);
    expect(discountOnSubtotal(variable(), 300, 500)).toBe(300);
    expect(discountOnSubtotal(variable(), 300)).toBe(0);
  });

  it('gives no subtotal discount for item rewards', () => {
    expect(discountOnSubtotal(makeOption(VALID_INPUTS.free_item), 5000)).toBe(0);
  });
});

describe('eligibility', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  const base = (overrides: Partial<EligibilityInput> = {}): EligibilityInput => ({
    memberFound: true,
    option: fixed({ cost_points: 100 }),
    currency: undefined,
    pointRedemptions: undefined,
    availablePoints: 1000,
    now,
    ...overrides,
  });

  it('refuses an unknown member first, even when everything else is wrong too', () => {
    expect(checkEligibility(base({ memberFound: false, option: null, availablePoints: 0 }))).toEqual({
      ok: false,
      reason: 'member_not_found',
    });
  });

  it('refuses a missing option before anything about the option', () => {
    expect(checkEligibility(base({ option: null, availablePoints: 0 }))).toEqual({
      ok: false,
      reason: 'option_not_found',
    });
  });

  it('refuses an inactive option, one before its starts_at and one at or after its ends_at', () => {
    const inactive = [
      fixed({ active: false }),
      fixed({ starts_at: '2025-06-01T12:00:01Z' }),
      fixed({ ends_at: '2025-06-01T12:00:00Z' }),
      fixed({ starts_at: '2025-05-01T00:00:00Z', ends_at: '2025-05-31T00:00:00Z' }),
    ];
    for (const option of inactive) {
      expect(checkEligibility(base({ option, currency: 'KWD', availablePoints: 0 }))).toEqual({
        ok: false,
        reason: 'option_inactive',
      });
    }
    // Starting exactly now and ending a millisecond later is live.
    const live = fixed({ starts_at: '2025-06-01T12:00:00Z', ends_at: '2025-06-01T12:00:00.001Z' });
    expect(checkEligibility(base({ option: live })).ok).toBe(true);
  });

  it('refuses a currency other than the option’s before looking at points', () => {
    expect(checkEligibility(base({ currency: 'KWD', pointRedemptions: 7, availablePoints: 0 }))).toEqual({
      ok: false,
      reason: 'currency_not_supported',
    });
  });

  it('requires points for a variable option, then refuses invalid points, then insufficient points', () => {
    const option = variable();
    expect(checkEligibility(base({ option, availablePoints: 0 }))).toEqual({ ok: false, reason: 'points_required' });
    expect(checkEligibility(base({ option, pointRedemptions: 75, availablePoints: 0 }))).toEqual({
      ok: false,
      reason: 'invalid_points',
    });
    expect(checkEligibility(base({ option, pointRedemptions: 250, availablePoints: 249 }))).toEqual({
      ok: false,
      reason: 'insufficient_points',
    });
  });

  it('refuses a fixed option with a point_redemptions other than its cost', () => {
    expect(checkEligibility(base({ pointRedemptions: 99 }))).toEqual({ ok: false, reason: 'invalid_points' });
  });

  it('refuses when available points are below the cost', () => {
    expect(checkEligibility(base({ availablePoints: 99 }))).toEqual({ ok: false, reason: 'insufficient_points' });
  });

  it('accepts with exactly enough points and defaults the currency to the option’s', () => {
    expect(checkEligibility(base({ availablePoints: 100 }))).toEqual({ ok: true, points: 100, currency: 'SAR' });
    expect(checkEligibility(base({ currency: 'SAR', pointRedemptions: 100 }))).toEqual({
      ok: true,
      points: 100,
      currency: 'SAR',
    });
    expect(checkEligibility(base({ option: variable({ currency: 'KWD' }), pointRedemptions: 500 }))).toEqual({
      ok: true,
      points: 500,
      currency: 'KWD',
    });
  });
});

describe('order against option', () => {
  it('refuses an order whose branch is missing or not listed when the option names branches', () => {
    const option = fixed({ branch_ids: ['b1', 'b2'] });
    expect(checkOrderAgainstOption(option, {})).toBe('branch_not_allowed');
    expect(checkOrderAgainstOption(option, { branch_id: 'b3' })).toBe('branch_not_allowed');
    expect(checkOrderAgainstOption(option, { branch_id: '' })).toBe('branch_not_allowed');
    expect(checkOrderAgainstOption(option, { branch_id: 'b2' })).toBeUndefined();
  });

  it('allows any branch, or none, when the branch list is empty', () => {
    const option = fixed();
    expect(checkOrderAgainstOption(option, {})).toBeUndefined();
    expect(checkOrderAgainstOption(option, { branch_id: 'anywhere' })).toBeUndefined();
  });

  it('refuses an order from another business when the option names one', () => {
    const option = fixed({ business_ref: 'biz-1' });
    expect(checkOrderAgainstOption(option, { business_ref: 'biz-2' })).toBe('business_not_allowed');
    expect(checkOrderAgainstOption(option, { business_ref: 'biz-1' })).toBeUndefined();
    expect(checkOrderAgainstOption(fixed(), { business_ref: 'biz-2' })).toBeUndefined();
  });

  it('refuses an order in another currency', () => {
    expect(checkOrderAgainstOption(fixed(), { currency: 'KWD' })).toBe('currency_not_supported');
    expect(checkOrderAgainstOption(fixed(), { currency: 'SAR' })).toBeUndefined();
  });

  it('refuses an order below the minimum subtotal, or without a subtotal when a minimum is set', () => {
    const option = fixed({ min_subtotal: 5000 });
    expect(checkOrderAgainstOption(option, {})).toBe('min_subtotal_not_met');
    expect(checkOrderAgainstOption(option, { subtotal: 4999 })).toBe('min_subtotal_not_met');
    expect(checkOrderAgainstOption(option, { subtotal: 5000 })).toBeUndefined();
    expect(checkOrderAgainstOption(fixed(), {})).toBeUndefined();
  });

  it('checks branch, then business, then currency, then subtotal', () => {
    const option = fixed({ branch_ids: ['b1'], business_ref: 'biz-1', min_subtotal: 100 });
    const bad = { branch_id: 'x', business_ref: 'y', currency: 'KWD', subtotal: 1 };
    expect(checkOrderAgainstOption(option, bad)).toBe('branch_not_allowed');
    expect(checkOrderAgainstOption(option, { ...bad, branch_id: 'b1' })).toBe('business_not_allowed');
    expect(checkOrderAgainstOption(option, { ...bad, branch_id: 'b1', business_ref: 'biz-1' })).toBe(
      'currency_not_supported',
    );
    expect(checkOrderAgainstOption(option, { ...bad, branch_id: 'b1', business_ref: 'biz-1', currency: 'SAR' })).toBe(
      'min_subtotal_not_met',
    );
    expect(
      checkOrderAgainstOption(option, { branch_id: 'b1', business_ref: 'biz-1', currency: 'SAR', subtotal: 100 }),
    ).toBeUndefined();
  });
});

describe('coupon use', () => {
  const option = fixed({ branch_ids: ['b1'] });
  const order = { order_id: 'order-1', branch_id: 'b1' };
  const state = (status: RedemptionStatus, overrides: Partial<CouponState> = {}): CouponState => ({
    status,
    order_id: null,
    ...overrides,
  });

  it('accepts the same order again as a no-op', () => {
    expect(checkCouponUse(state('completed', { order_id: 'order-1' }), option, order)).toEqual({
      ok: true,
      sameOrder: true,
    });
    expect(checkCouponUse(state('redeeming', { order_id: 'order-1' }), option, order)).toEqual({
      ok: true,
      sameOrder: true,
    });
  });

  it('refuses another order once one has used the coupon', () => {
    expect(checkCouponUse(state('completed', { order_id: 'order-0' }), option, order)).toMatchObject({
      ok: false,
      code: 'coupon_already_used',
    });
  });

  it('refuses an expired coupon', () => {
    expect(checkCouponUse(state('expired'), option, order)).toMatchObject({ ok: false, code: 'coupon_expired' });
  });

  it('refuses a cancelled coupon, by status or by a pending cancel request', () => {
    expect(checkCouponUse(state('cancelled'), option, order)).toMatchObject({ ok: false, code: 'coupon_cancelled' });
    expect(checkCouponUse(state('awaiting_order', { cancelRequested: true }), option, order)).toMatchObject({
      ok: false,
      code: 'coupon_cancelled',
    });
  });

  it.each(['rejected', 'compensated', 'refunded', 'pending', 'redeeming'] as const)(
    'refuses a coupon whose redemption is %s as void',
    (status) => {
      const use = checkCouponUse(state(status), option, order);
      expect(use).toMatchObject({ ok: false, code: 'coupon_void' });
      expect(use.ok === false && use.message).toContain(status);
    },
  );

  it('accepts a coupon awaiting its order or already completed without an order', () => {
    expect(checkCouponUse(state('awaiting_order'), option, order)).toEqual({ ok: true, sameOrder: false });
    expect(checkCouponUse(state('completed'), option, order)).toEqual({ ok: true, sameOrder: false });
    expect(checkCouponUse(state('awaiting_order'), null, { order_id: 'o' })).toEqual({ ok: true, sameOrder: false });
  });

  it('passes the option’s own refusal through', () => {
    expect(checkCouponUse(state('awaiting_order'), option, { order_id: 'order-1', branch_id: 'b9' })).toMatchObject({
      ok: false,
      code: 'branch_not_allowed',
    });
    expect(
      checkCouponUse(state('awaiting_order'), fixed({ min_subtotal: 100 }), { order_id: 'order-1', subtotal: 5 }),
    ).toMatchObject({ ok: false, code: 'min_subtotal_not_met' });
  });
});

describe('review resolutions', () => {
  it.each([
    { outcome: 'fulfilled' },
    { outcome: 'not_fulfilled' },
    { outcome: 'fulfilled', operator: 'ops-lina', reason: 'the partner confirmed it' },
  ])('accepts %j', (resolution) => {
    expect(reviewResolutionProblem(resolution)).toBeNull();
  });

  it.each([
    [null, /Send an object/],
    ['fulfilled', /Send an object/],
    [['fulfilled'], /Send an object/],
    [{}, /outcome must be/],
    [{ outcome: 'refunded' }, /outcome must be/],
    [{ outcome: 'fulfilled', by: 'ops' }, /Unknown field by/],
    [{ outcome: 'fulfilled', operator: '' }, /operator must be/],
    [{ outcome: 'fulfilled', operator: 42 }, /operator must be/],
    [{ outcome: 'not_fulfilled', reason: 'x'.repeat(1_001) }, /reason must be/],
  ])('refuses %j with a message that says what to send', (resolution, message) => {
    expect(reviewResolutionProblem(resolution)).toMatch(message);
  });
});

describe('redemption states', () => {
  const expected: Record<RedemptionStatus, { decided: boolean; final: boolean }> = {
    pending: { decided: false, final: false },
    rejected: { decided: true, final: true },
    awaiting_order: { decided: true, final: false },
    redeeming: { decided: false, final: false },
    completed: { decided: true, final: false },
    expired: { decided: true, final: true },
    cancelled: { decided: true, final: true },
    compensated: { decided: true, final: true },
    refunded: { decided: true, final: true },
    needs_review: { decided: true, final: false },
  };

  it('covers every status', () => {
    expect(Object.keys(expected).sort()).toEqual([...REDEMPTION_STATUSES].sort());
  });

  it.each(REDEMPTION_STATUSES)('classifies %s as decided/final correctly', (status) => {
    expect({ decided: isDecided(status), final: isFinal(status) }).toEqual(expected[status]);
  });
});

describe('webhook replay window', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  const daysBefore = (days: number, ms = 0) => new Date(now.getTime() - days * 86_400_000 - ms);
  const refusalOf = (work: () => unknown) => {
    try {
      work();
    } catch (error) {
      return (error as { code?: string }).code;
    }
    return undefined;
  };

  it('ends now when until is left out, and covers at most the longest window', () => {
    expect(replayWindow({ since: daysBefore(7) }, now, 7)).toEqual({ since: daysBefore(7), until: now });
    expect(refusalOf(() => replayWindow({ since: daysBefore(7, 1) }, now, 7))).toBe('replay_window_too_long');
    expect(replayWindow({ since: daysBefore(30), until: daysBefore(29) }, now, 7).until).toEqual(daysBefore(29));
  });

  it('refuses a window that ends before it starts', () => {
    expect(refusalOf(() => replayWindow({ since: new Date(now.getTime() + 1) }, now, 7))).toBe(
      'replay_since_in_future',
    );
    expect(refusalOf(() => replayWindow({ since: now }, now, 7))).toBe('replay_since_in_future');
  });

  it('takes until only later than since, with or without an offset', () => {
    const parse = (input: unknown) => webhookReplayInputSchema.safeParse(input).success;
    expect(parse({ since: '2026-03-01T00:00:00Z' })).toBe(true);
    expect(parse({ since: '2026-03-01T00:00:00+03:00', until: '2026-03-01T00:00:00Z' })).toBe(true);
    expect(parse({ since: '2026-03-01T00:00:00Z', until: '2026-03-01T00:00:00Z' })).toBe(false);
    expect(parse({ since: '2026-03-01' })).toBe(false);
    expect(parse({ until: '2026-03-01T00:00:00Z' })).toBe(false);
  });
});
