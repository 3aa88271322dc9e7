/**
 * The kinds of reward an option gives. No zod here: workflows import it, and what a workflow imports is instantiated
 * once per workflow.
 */

/** Deliverect's six reward types, plus `variable`: points converted to money at a rate. */
export const OPTION_TYPES = [
  'discount_amount',
  'discount_percentage',
  'free_item',
  'buy_one_get_one_free',
  'item_discount_amount',
  'item_discount_percentage',
  'variable',
] as const;
export type OptionType = (typeof OPTION_TYPES)[number];

export const ITEM_TYPES: OptionType[] = [
  'free_item',
  'buy_one_get_one_free',
  'item_discount_amount',
  'item_discount_percentage',
];
export const PERCENT_TYPES: OptionType[] = ['discount_percentage', 'item_discount_percentage'];
export const AMOUNT_TYPES: OptionType[] = ['discount_amount', 'item_discount_amount'];

export function isItemReward(type: OptionType): boolean {
  return ITEM_TYPES.includes(type);
}

export function isPercentReward(type: OptionType): boolean {
  return PERCENT_TYPES.includes(type);
}
