/**
 * Deliverect loyalty: the order Deliverect sends to `POST /webhooks/deliverect/loyalty-programs` (and, with an
 * `orderId`, to `/orders`), the cancellation it sends to `/orders/cancel`, and the programmes we answer with.
 *
 * Deliverect adds fields to its payloads over time, so every object here is loose: unknown fields are kept, never
 * refused. Pure code: no I/O, no Node built-ins.
 */
import { z } from 'zod';
import type { LimitRefusal } from './limits';
import { minorUnits } from './currency';
import { normalizeEmail } from './email';
import { isOptionLive } from './eligibility';
import { isItemReward, type OptionType, type RedemptionOption } from './options';
import { NOT_BLANK, plainText, requiredText, wellFormed } from './text';

const int = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const nonNegativeInt = int.nonnegative();

/** One basket line; `subItems` are its modifiers / bundle choices, each quantity counted per unit of the parent. */
export const deliverectItemSchema = z
  .looseObject({
    plu: z.string(),
    name: z.string().optional(),
    price: int.meta({ description: 'Minor units' }),
    quantity: nonNegativeInt,
    get subItems(): z.ZodDefault<z.ZodArray<typeof deliverectItemSchema>> {
      return z.array(deliverectItemSchema).default([]);
    },
  })
  .meta({ id: 'DeliverectItem' });

export type DeliverectItem = z.output<typeof deliverectItemSchema>;

const notBlank = { pattern: NOT_BLANK.source };

export const deliverectCustomerSchema = z
  .looseObject({
    email: plainText().optional(),
    phoneNumber: plainText().optional(),
    name: z.string().optional(),
  })
  .superRefine((customer, ctx) => {
    if (!customer.email?.trim() && !customer.phoneNumber?.trim()) {
      ctx.addIssue({ code: 'custom', path: ['email'], message: 'email or phoneNumber is required' });
    }
  })
  .meta({
    anyOf: [
      { required: ['email'], properties: { email: notBlank } },
      { required: ['phoneNumber'], properties: { phoneNumber: notBlank } },
    ],
  });

export const deliverectDiscountSchema = z.looseObject({
  name: z.string().optional(),
  programId: z
    .union([requiredText(), int.nonnegative()])
    .pipe(z.coerce.string())
    .meta({ description: 'The programme redeemed: our option id (a number is accepted and read as a string)' }),
  type: z.string().optional(),
  amount: int.optional(),
});

export const deliverectOrderSchema = z
  .looseObject({
    account: plainText().optional().meta({ description: "The merchant's account id in Deliverect" }),
    location: plainText().optional().meta({ description: 'The location id in Deliverect' }),
    channelLinkId: z.string().optional(),
    orderType: z.number().optional(),
    customer: deliverectCustomerSchema,
    items: z.array(deliverectItemSchema),
    discounts: z.array(deliverectDiscountSchema).default([]),
    subTotal: nonNegativeInt.meta({ description: 'Minor units with decimalDigits decimals' }),
    discountTotal: int.optional(),
    paymentAmount: int.optional(),
    decimalDigits: z.number().int().min(0).max(4),
    orderId: plainText().optional(),
  })
  .meta({ id: 'DeliverectOrder' });

export type DeliverectOrder = z.output<typeof deliverectOrderSchema>;

const loyaltyRequestShape = {
  order: deliverectOrderSchema,
  accountId: plainText().optional().meta({ description: "The merchant's account id in Deliverect" }),
  loyaltyProfileId: z.string().optional(),
  locationId: plainText().optional().meta({ description: "The location id of the merchant's account" }),
  channelLinkId: z.string().optional(),
};

export const loyaltyProgramsRequestSchema = z
  .looseObject(loyaltyRequestShape)
  .meta({ id: 'DeliverectLoyaltyProgramsRequest' });

export type LoyaltyProgramsRequest = z.output<typeof loyaltyProgramsRequestSchema>;

/**
 * Deliverect's loyalty order notification: the loyalty-programs request once the order is placed. Its `orderId` may
 * come at the top level or inside `order`; the output carries it once, at the top level. When both are given they
 * must agree (two different ids would make the deduplication key ambiguous). At least one `discounts[]` entry must
 * name the programme redeemed.
 */
/** The notification's rules as JSON Schema: the order id in one place or the other, and a programme redeemed. */
const placedOrder = (orderId: unknown, required: string[]) => ({
  required: ['discounts', ...required],
  properties: { orderId, discounts: { minItems: 1 } },
});
const NOTIFICATION_VARIANTS = [
  { required: ['orderId'], properties: { orderId: notBlank, order: placedOrder(false, []) } },
  { properties: { orderId: false, order: placedOrder(notBlank, ['orderId']) } },
];

export const deliverectOrderNotificationSchema = z
  .looseObject({
    ...loyaltyRequestShape,
    orderId: plainText()
      .optional()
      .meta({ description: 'Here or in order.orderId (the server also accepts both when they agree)' }),
  })
  .superRefine((notification, ctx) => {
    const top = notification.orderId?.trim();
    const inner = notification.order.orderId?.trim();
    if (!top && !inner) {
      ctx.addIssue({ code: 'custom', path: ['orderId'], message: 'is required (at the top level or in order)' });
    } else if (top && inner && top !== inner) {
      ctx.addIssue({ code: 'custom', path: ['orderId'], message: `differs from order.orderId (${inner})` });
    }
    if (notification.order.discounts.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['order', 'discounts'],
        message: 'must name at least one redeemed programme (programId)',
      });
    }
  })
  .transform((notification) => ({
    ...notification,
    // As the store keeps it: every id, workflow and lookup made from it then agrees with the stored copy.
    orderId: wellFormed((notification.orderId?.trim() || notification.order.orderId?.trim())!),
  }))
  .meta({ id: 'DeliverectOrderNotification', oneOf: NOTIFICATION_VARIANTS });

export type DeliverectOrderNotification = z.output<typeof deliverectOrderNotificationSchema>;

export const deliverectCancelSchema = z
  .looseObject({
    orderId: plainText().min(1).transform(wellFormed),
    isCancelled: z.boolean(),
    cancellationReason: z.string().optional(),
  })
  .meta({ id: 'DeliverectOrderCancel' });

export type DeliverectCancel = z.output<typeof deliverectCancelSchema>;

/** The six reward types Deliverect knows; our `variable` options have no Deliverect equivalent. */
export type DeliverectProgramType = Exclude<OptionType, 'variable'>;

/** One programme in the answer to `/loyalty-programs`, in the seed's response shape. */
export interface LoyaltyProgram {
  /** The option id, as a string. */
  programId: string;
  title: string;
  description: string;
  /** Points one redemption costs. */
  cost: number;
  type: DeliverectProgramType;
  /** Minor units for amounts, basis points for percentages (5000 = 50%), as stored on the option. */
  discount?: number;
  itemPLU?: string;
  media?: { url: string; mediaType: 'image' };
  /** ISO 8601, or null when the option never ends. */
  expiresAt: string | null;
  applicable: boolean;
}

/** Why a live option is not applicable to a basket, checked in this order. */
export type ProgramInapplicability =
  | 'insufficient_points'
  | 'item_not_in_basket'
  | 'min_subtotal_not_met'
  | 'branch_not_allowed'
  | 'currency_not_supported'
  | 'business_not_allowed'
  | LimitRefusal;

/**
 * Every PLU of the basket with its total quantity, sub items included at any depth. A sub item's quantity is per
 * unit of its parent, so it is multiplied by the parent's quantity (2 × a combo with 1 × VEG-01 is 2 × VEG-01).
 */
export function basketPlus(order: Pick<DeliverectOrder, 'items'>): Map<string, number> {
  const totals = new Map<string, number>();
  const visit = (items: DeliverectItem[], multiplier: number) => {
    for (const item of items) {
      const quantity = item.quantity * multiplier;
      totals.set(item.plu, (totals.get(item.plu) ?? 0) + quantity);
      visit(item.subItems ?? [], quantity);
    }
  };
  visit(order.items, 1);
  return totals;
}

/** What a member's programmes depend on: their available points, and the options whose limits have no room for them. */
export interface ProgramMember {
  availablePoints: number;
  limitsReached?: ReadonlyMap<number, LimitRefusal>;
}

/**
 * The first reason this option cannot be used on this basket by a member with these points, or undefined when it
 * can. Does not check whether the option is live: callers offer live options only.
 */
export function programInapplicability(
  option: RedemptionOption,
  request: LoyaltyProgramsRequest,
  member: ProgramMember,
  plus: Map<string, number> = basketPlus(request.order),
): ProgramInapplicability | undefined {
  const order = request.order;
  if (option.cost_points === undefined || member.availablePoints < option.cost_points) return 'insufficient_points';
  const limitReached = member.limitsReached?.get(option.id);
  if (limitReached) return limitReached;
  // Every item reward needs its PLU in the basket with a quantity above 0. For buy_one_get_one_free one unit is
  // enough: the member orders (pays for) that one and the reward adds the second for free, so requiring two would
  // refuse the very basket the programme is meant for.
  if (isItemReward(option.type) && (!option.item_plu || (plus.get(option.item_plu) ?? 0) < 1)) {
    return 'item_not_in_basket';
  }
  if (order.subTotal < option.min_subtotal) return 'min_subtotal_not_met';
  if (option.branch_ids.length > 0) {
    const locations = [request.locationId, order.location].filter((id): id is string => !!id);
    if (!locations.some((id) => option.branch_ids.includes(id))) return 'branch_not_allowed';
  }
  // Amounts are only comparable in the option's own precision: a basket in another currency's is not for it.
  if (order.decimalDigits !== minorUnits(option.currency)) return 'currency_not_supported';
  if (option.business_ref) {
    const accounts = [request.accountId, order.account].filter((id): id is string => !!id);
    if (!accounts.includes(option.business_ref)) return 'business_not_allowed';
  }
  return undefined;
}

/**
 * The member's programmes for this basket: one per live, non-variable option, in option id order, each marked
 * `applicable` when the member has the points and the basket meets every rule of the option. An option outside its
 * dates or switched off is not offered at all.
 */
export function loyaltyProgramsFor(
  options: RedemptionOption[],
  request: LoyaltyProgramsRequest,
  member: ProgramMember,
  now: Date,
): LoyaltyProgram[] {
  const plus = basketPlus(request.order);
  return [...options]
    .sort((a, b) => a.id - b.id)
    .filter((option) => option.type !== 'variable' && isOptionLive(option, now))
    .map((option) => ({
      programId: String(option.id),
      title: option.name,
      description: option.description ?? option.name,
      cost: option.cost_points!,
      type: option.type as DeliverectProgramType,
      ...(option.discount !== undefined ? { discount: option.discount } : {}),
      ...(option.item_plu !== undefined ? { itemPLU: option.item_plu } : {}),
      ...(option.media_url !== undefined ? { media: { url: option.media_url, mediaType: 'image' as const } } : {}),
      expiresAt: option.ends_at ?? null,
      applicable: programInapplicability(option, request, member, plus) === undefined,
    }));
}

/**
 * How to find the member of a Deliverect order: by e-mail (lower-cased, as members are stored) first, else by phone
 * number (spaces, dashes, dots and brackets removed). The order schema guarantees one of them.
 */
export function customerIdentifierOf(order: Pick<DeliverectOrder, 'customer'>): {
  field: 'email' | 'phone_number';
  value: string;
} {
  const email = order.customer.email ? normalizeEmail(order.customer.email) : '';
  if (email) return { field: 'email', value: email };
  const phone = order.customer.phoneNumber?.replace(/[\s\-.()]/g, '');
  if (phone) return { field: 'phone_number', value: phone };
  throw new Error('A Deliverect order names its customer by email or phoneNumber');
}
