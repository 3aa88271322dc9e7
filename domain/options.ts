import { z } from 'zod';
import { httpUrl } from './http-url';
import { AMOUNT_TYPES, ITEM_TYPES, OPTION_TYPES, PERCENT_TYPES } from './option-types';
import { SUPPORTED_CURRENCIES, isSupportedCurrency } from './currency';
import { optionLimitsSchema } from './limits';
import { PARTNER_NAMES } from './partners';
import { plainText, requiredText } from './text';

export { OPTION_TYPES, isItemReward, isPercentReward, type OptionType } from './option-types';

const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** A coupon waits for its order at most 90 days: a held point is a point the member cannot spend. */
export const MAX_COUPON_TTL_SECONDS = 90 * 24 * 3600;
const nonNegativeInt = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as SAR')
  .refine(isSupportedCurrency, 'is not a currency we support')
  .meta({ enum: SUPPORTED_CURRENCIES });

const dateTime = z.iso.datetime({ offset: true }).meta({ pattern: z.regexes.datetime({ offset: true }).source });

/**
 * The rules of each type, for the OpenAPI document: the same ones the refinement below enforces, as variants that
 * JSON Schema can check (which fields a type requires, which it forbids, the bound of a percentage).
 */
function typeVariants() {
  const percent = { type: 'integer', exclusiveMinimum: 0, maximum: 10_000 };
  return OPTION_TYPES.map((type) => {
    const required: string[] = type === 'variable' ? ['points_per_unit', 'unit_value'] : ['cost_points'];
    if (ITEM_TYPES.includes(type)) required.push('item_plu');
    if (AMOUNT_TYPES.includes(type) || PERCENT_TYPES.includes(type)) required.push('discount');
    const forbidden = type === 'variable' ? ['cost_points'] : ['points_per_unit', 'unit_value'];
    return {
      required,
      properties: {
        type: { const: type },
        ...Object.fromEntries(forbidden.map((field) => [field, false])),
        ...(PERCENT_TYPES.includes(type) ? { discount: percent } : {}),
      },
    };
  });
}

export const optionInputSchema = z
  .object({
    name: requiredText(200),
    description: plainText(2000).optional(),
    type: z.enum(OPTION_TYPES),
    cost_points: positiveInt.optional().meta({ description: 'Points one redemption costs (fixed types)' }),
    points_per_unit: positiveInt.optional().meta({ description: 'Points per unit of value (variable type)' }),
    unit_value: positiveInt.optional().meta({ description: 'Minor currency units one unit is worth (variable)' }),
    discount: positiveInt
      .optional()
      .meta({ description: 'Minor currency units for amounts; basis points for percentages (5000 = 50%)' }),
    item_plu: requiredText(100).optional(),
    currency: currencySchema,
    min_subtotal: nonNegativeInt.default(0).meta({ description: 'Minimum order subtotal, minor units' }),
    branch_ids: z.array(requiredText(200)).default([]).meta({ description: 'Empty = every branch' }),
    business_ref: plainText(200).trim().default('').meta({ description: 'Empty = any business' }),
    partner: z.enum(PARTNER_NAMES).nullable().default(null).meta({ description: 'Who fulfils it; null for none' }),
    coupon_ttl_seconds: positiveInt
      .max(MAX_COUPON_TTL_SECONDS)
      .optional()
      .meta({ description: `How long a delayed redemption waits for its order, at most ${MAX_COUPON_TTL_SECONDS} s` }),
    media_url: httpUrl().optional(),
    active: z.boolean().default(true),
    starts_at: dateTime.optional(),
    ends_at: dateTime.optional().meta({ description: 'Must be later than starts_at', 'x-later-than': 'starts_at' }),
    limits: optionLimitsSchema.optional(),
  })
  .strict()
  .superRefine((option, ctx) => {
    const require = (field: keyof typeof option, why: string) => {
      if (option[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required ${why}` });
    };
    const forbid = (field: keyof typeof option, why: string) => {
      if (option[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: `is not allowed ${why}` });
    };
    if (option.type === 'variable') {
      require('points_per_unit', 'for variable options');
      require('unit_value', 'for variable options');
      forbid('cost_points', 'for variable options (points come from point_redemptions)');
    } else {
      require('cost_points', `for ${option.type} options`);
      forbid('points_per_unit', 'except for variable options');
      forbid('unit_value', 'except for variable options');
    }
    if (ITEM_TYPES.includes(option.type)) require('item_plu', `for ${option.type} options`);
    if (AMOUNT_TYPES.includes(option.type) || PERCENT_TYPES.includes(option.type)) {
      require('discount', `for ${option.type} options`);
    }
    if (PERCENT_TYPES.includes(option.type) && option.discount !== undefined && option.discount > 10_000) {
      ctx.addIssue({
        code: 'custom',
        path: ['discount'],
        message: 'is in basis points and cannot exceed 10000 (100%)',
      });
    }
    if (option.starts_at && option.ends_at && Date.parse(option.starts_at) >= Date.parse(option.ends_at)) {
      ctx.addIssue({ code: 'custom', path: ['ends_at'], message: 'must be after starts_at' });
    }
  })
  .meta({ id: 'RedemptionOptionInput', oneOf: typeVariants() });

export type OptionInput = z.output<typeof optionInputSchema>;

export interface RedemptionOption extends OptionInput {
  id: number;
  created_at: string;
}
