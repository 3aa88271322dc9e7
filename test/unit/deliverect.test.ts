import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  basketPlus,
  customerIdentifierOf,
  deliverectCancelSchema,
  deliverectOrderNotificationSchema,
  deliverectOrderSchema,
  loyaltyProgramsFor,
  loyaltyProgramsRequestSchema,
  programInapplicability,
  type LoyaltyProgramsRequest,
  type ProgramMember,
} from '../../domain/deliverect';
import { optionInputSchema, type RedemptionOption } from '../../domain/options';

/** The seed's `POST /loyalty-programs` request example, verbatim. */
const seedRequestJson: any = JSON.parse(
  readFileSync(new URL('../fixtures/deliverect/loyalty-programs-request.json', import.meta.url), 'utf8'),
);

const NOW = new Date('2025-06-01T12:00:00.000Z');
const ACCOUNT = '6403c0b9ea6956b6f6970c5b';
const LOCATION = '6403c0baea6956b6f6970c5c';
const MEDIA = 'https://program.media/image';
const CLOUDINARY =
  'https://res.cloudinary.com/punchh/image/upload/c_limit,f_auto,fl_lossy,g_center,q_auto/v1/punchhstatic-mothership2/redeemables/redeemable_images/000/036/785/original/dd4c98899742473e80ac703670279794ead73e36.png';

/** A catalogue option as the store returns it: the parsed input plus its id and creation time. */
function makeOption(id: number, input: Record<string, unknown>): RedemptionOption {
  return { id, created_at: '2025-01-01T00:00:00.000Z', ...optionInputSchema.parse({ currency: 'EUR', ...input }) };
}

/** The seed's response example as options of our catalogue (ids 1..6), plus a variable option (7). */
function seedOptions(): RedemptionOption[] {
  return [
    makeOption(1, {
      name: 'Discount',
      description: 'Discount amount for the order.',
      type: 'discount_amount',
      cost_points: 100,
      discount: 100,
    }),
    makeOption(2, {
      name: 'Free item',
      description: 'Get an item for free.',
      type: 'free_item',
      cost_points: 500,
      item_plu: 'DRN-01',
      media_url: MEDIA,
    }),
    makeOption(3, {
      name: 'Buy one get one for free',
      description: 'Order an item and get another one for free.',
      type: 'buy_one_get_one_free',
      cost_points: 100,
      item_plu: 'DRN-02',
      media_url: MEDIA,
    }),
    makeOption(4, {
      name: '50% Order percent off',
      description: 'Get 50% OFF the order',
      type: 'discount_percentage',
      cost_points: 200,
      discount: 100,
      media_url: CLOUDINARY,
    }),
    makeOption(5, {
      name: 'Coke $10 off',
      description: 'To quench your thirst!',
      type: 'item_discount_amount',
      cost_points: 150,
      discount: 1000,
      item_plu: '1282933778',
      media_url: 'https://image.npg',
    }),
    makeOption(6, {
      name: 'Coke 50% off',
      description: 'To quench your thirst!',
      type: 'item_discount_percentage',
      cost_points: 150,
      discount: 5000,
      item_plu: '1282933778',
      media_url: 'https://image.npg',
    }),
    makeOption(7, { name: 'Points to money', type: 'variable', points_per_unit: 10, unit_value: 10 }),
  ];
}

/** The seed's request, parsed, after `change` edits a copy of its JSON. */
function request(change: (json: any) => void = () => {}): LoyaltyProgramsRequest {
  const json = structuredClone(seedRequestJson);
  change(json);
  return loyaltyProgramsRequestSchema.parse(json);
}

const item = (plu: string, quantity = 1, subItems: unknown[] = []) => ({
  plu,
  name: plu,
  price: 250,
  quantity,
  subItems,
});

/** The seed's request with a DRN-02 and a Coke added, so the basket matches the seed's response example. */
const seedBasketWithDrinks = () => request((json) => json.order.items.push(item('DRN-02'), item('1282933778')));

const RICH = { availablePoints: 1_000 };

function applicable(option: RedemptionOption, req: LoyaltyProgramsRequest, member: ProgramMember = RICH): boolean {
  const programs = loyaltyProgramsFor([option], req, member, NOW);
  expect(programs).toHaveLength(1);
  return programs[0]!.applicable;
}

const discountAmount = (overrides: Record<string, unknown> = {}) =>
  makeOption(1, { name: 'Discount', type: 'discount_amount', cost_points: 100, discount: 100, ...overrides });
const freeItem = (plu: string, overrides: Record<string, unknown> = {}) =>
  makeOption(2, { name: 'Free item', type: 'free_item', cost_points: 500, item_plu: plu, ...overrides });

describe('Deliverect loyalty-programs request schema', () => {
  it('parses the seed request example verbatim', () => {
    const parsed = loyaltyProgramsRequestSchema.parse(seedRequestJson);
    expect(parsed.order.customer.email).toBe('loyalty@customer.com');
    expect(parsed.order.subTotal).toBe(1700);
    expect(parsed.order.decimalDigits).toBe(2);
    expect(parsed.order.items[0]!.subItems.map((sub) => sub.plu)).toEqual(['VEG-01', 'VEG-02']);
    expect(parsed.order.discounts).toEqual([
      { name: 'Amount discount', programId: '1234', type: 'discount_amount', amount: 100 },
    ]);
  });

  it('defaults missing subItems and discounts to empty arrays', () => {
    const parsed = request((json) => {
      delete json.order.discounts;
      delete json.order.items[0].subItems;
    });
    expect(parsed.order.items[0]!.subItems).toEqual([]);
    expect(parsed.order.discounts).toEqual([]);
  });

  it('accepts a customer known by phone number only', () => {
    const parsed = request((json) => delete json.order.customer.email);
    expect(parsed.order.customer.phoneNumber).toBe('+31201234567');
  });

  it('reports a customer without email or phone number at order.customer.email', () => {
    const result = loyaltyProgramsRequestSchema.safeParse(
      (() => {
        const json = structuredClone(seedRequestJson);
        json.order.customer = { name: 'John Doe', email: ' ' };
        return json;
      })(),
    );
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path)).toEqual([['order', 'customer', 'email']]);
  });

  it('reads a programId given as a number as a string', () => {
    const parsed = request((json) => (json.order.discounts[0].programId = 1234));
    expect(parsed.order.discounts[0]!.programId).toBe('1234');
  });

  it('keeps unknown fields Deliverect adds, at every level', () => {
    const parsed = request((json) => {
      json.brandId = 'brand-1';
      json.order.channelOrderDisplayId = 'A-17';
      json.order.customer.companyName = 'ACME';
      json.order.items[0].productType = 1;
      json.order.items[0].subItems[0].remark = 'spicy';
      json.order.discounts[0].provider = 'loyalty';
    }) as any;
    expect(parsed.brandId).toBe('brand-1');
    expect(parsed.order.channelOrderDisplayId).toBe('A-17');
    expect(parsed.order.customer.companyName).toBe('ACME');
    expect(parsed.order.items[0].productType).toBe(1);
    expect(parsed.order.items[0].subItems[0].remark).toBe('spicy');
    expect(parsed.order.discounts[0].provider).toBe('loyalty');
  });

  it('refuses a negative quantity, a negative subTotal and more than 4 decimal digits', () => {
    const order = seedRequestJson.order;
    const paths = (change: (json: any) => void) => {
      const json = structuredClone(order);
      change(json);
      const result = deliverectOrderSchema.safeParse(json);
      return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
    };
    expect(paths((json) => (json.items[0].subItems[1].quantity = -1))).toEqual(['items.0.subItems.1.quantity']);
    expect(paths((json) => (json.subTotal = -1))).toEqual(['subTotal']);
    expect(paths((json) => (json.decimalDigits = 5))).toEqual(['decimalDigits']);
    expect(paths((json) => (json.items[0].price = 17.5))).toEqual(['items.0.price']);
  });
});

describe('Deliverect order notification schema', () => {
  const notification = (change: (json: any) => void) => {
    const json = structuredClone(seedRequestJson);
    change(json);
    return deliverectOrderNotificationSchema.safeParse(json);
  };

  it('accepts the orderId at the top level', () => {
    const result = notification((json) => (json.orderId = 'ord-1'));
    expect(result.success).toBe(true);
    expect(result.data!.orderId).toBe('ord-1');
  });

  it('accepts the orderId inside order and lifts it to the top level', () => {
    const result = notification((json) => (json.order.orderId = 'ord-2'));
    expect(result.success).toBe(true);
    expect(result.data!.orderId).toBe('ord-2');
    expect(result.data!.order.discounts[0]!.programId).toBe('1234');
  });

  it('accepts the same orderId in both places', () => {
    const result = notification((json) => (json.orderId = json.order.orderId = 'ord-3'));
    expect(result.data!.orderId).toBe('ord-3');
  });

  it('refuses two different orderIds at orderId', () => {
    const result = notification((json) => {
      json.orderId = 'ord-4';
      json.order.orderId = 'ord-5';
    });
    expect(result.error!.issues.map((issue) => issue.path)).toEqual([['orderId']]);
  });

  it('refuses a notification without an orderId, with the issue at orderId', () => {
    const result = notification(() => {});
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path)).toEqual([['orderId']]);
  });

  it('refuses a notification without discounts', () => {
    const missing = notification((json) => {
      json.orderId = 'ord-6';
      delete json.order.discounts;
    });
    const empty = notification((json) => {
      json.orderId = 'ord-6';
      json.order.discounts = [];
    });
    for (const result of [missing, empty]) {
      expect(result.success).toBe(false);
      expect(result.error!.issues.map((issue) => issue.path)).toEqual([['order', 'discounts']]);
    }
  });

  it('refuses a discount without a programId', () => {
    const result = notification((json) => {
      json.orderId = 'ord-7';
      delete json.order.discounts[0].programId;
    });
    expect(result.error!.issues.map((issue) => issue.path)).toEqual([['order', 'discounts', 0, 'programId']]);
  });

  it('keeps unknown fields', () => {
    const result = notification((json) => {
      json.orderId = 'ord-8';
      json.order.pickupTime = '2025-06-01T12:30:00Z';
    });
    expect((result.data!.order as any).pickupTime).toBe('2025-06-01T12:30:00Z');
  });
});

describe('Deliverect cancel schema', () => {
  it('parses a cancellation and keeps unknown fields', () => {
    const parsed = deliverectCancelSchema.parse({
      orderId: 'ord-1',
      isCancelled: true,
      cancellationReason: 'Customer changed their mind',
      channelOrderId: 'X',
    }) as any;
    expect(parsed).toEqual({
      orderId: 'ord-1',
      isCancelled: true,
      cancellationReason: 'Customer changed their mind',
      channelOrderId: 'X',
    });
  });

  it('refuses an empty orderId and a missing isCancelled', () => {
    const result = deliverectCancelSchema.safeParse({ orderId: '' });
    expect(result.error!.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['isCancelled', 'orderId']);
  });
});

describe('loyaltyProgramsFor', () => {
  it("answers in the seed's response shape, field by field", () => {
    const programs = loyaltyProgramsFor(seedOptions(), seedBasketWithDrinks(), RICH, NOW);
    expect(programs).toStrictEqual([
      {
        programId: '1',
        title: 'Discount',
        description: 'Discount amount for the order.',
        cost: 100,
        type: 'discount_amount',
        discount: 100,
        expiresAt: null,
        applicable: true,
      },
      {
        programId: '2',
        title: 'Free item',
        description: 'Get an item for free.',
        cost: 500,
        type: 'free_item',
        itemPLU: 'DRN-01',
        media: { url: MEDIA, mediaType: 'image' },
        expiresAt: null,
        applicable: false,
      },
      {
        programId: '3',
        title: 'Buy one get one for free',
        description: 'Order an item and get another one for free.',
        cost: 100,
        type: 'buy_one_get_one_free',
        itemPLU: 'DRN-02',
        media: { url: MEDIA, mediaType: 'image' },
        expiresAt: null,
        applicable: true,
      },
      {
        programId: '4',
        title: '50% Order percent off',
        description: 'Get 50% OFF the order',
        cost: 200,
        type: 'discount_percentage',
        discount: 100,
        media: { url: CLOUDINARY, mediaType: 'image' },
        expiresAt: null,
        applicable: true,
      },
      {
        programId: '5',
        title: 'Coke $10 off',
        description: 'To quench your thirst!',
        cost: 150,
        type: 'item_discount_amount',
        discount: 1000,
        itemPLU: '1282933778',
        media: { url: 'https://image.npg', mediaType: 'image' },
        expiresAt: null,
        applicable: true,
      },
      {
        programId: '6',
        title: 'Coke 50% off',
        description: 'To quench your thirst!',
        cost: 150,
        type: 'item_discount_percentage',
        discount: 5000,
        itemPLU: '1282933778',
        media: { url: 'https://image.npg', mediaType: 'image' },
        expiresAt: null,
        applicable: true,
      },
    ]);
  });

  it('skips variable options, which have no Deliverect type', () => {
    const programs = loyaltyProgramsFor(seedOptions(), request(), RICH, NOW);
    expect(programs.map((program) => program.programId)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(programs.map((program) => program.type)).not.toContain('variable');
  });

  it("marks only the order-level rewards applicable to the seed's own basket", () => {
    const programs = loyaltyProgramsFor(seedOptions(), request(), RICH, NOW);
    expect(Object.fromEntries(programs.map((program) => [program.programId, program.applicable]))).toEqual({
      '1': true,
      '2': false,
      '3': false,
      '4': true,
      '5': false,
      '6': false,
    });
  });

  it('lists programmes in option id order whatever order the options come in', () => {
    const programs = loyaltyProgramsFor(seedOptions().reverse(), request(), RICH, NOW);
    expect(programs.map((program) => program.programId)).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('uses the name as description when the option has none, and leaves out absent discount, PLU and media', () => {
    const [program] = loyaltyProgramsFor([freeItem('CMB-02')], request(), RICH, NOW);
    expect(program).toStrictEqual({
      programId: '2',
      title: 'Free item',
      description: 'Free item',
      cost: 500,
      type: 'free_item',
      itemPLU: 'CMB-02',
      expiresAt: null,
      applicable: true,
    });
  });

  it('omits options that are switched off, not started yet or ended', () => {
    const options = [
      discountAmount({ active: false }),
      makeOption(2, {
        name: 'Soon',
        type: 'discount_amount',
        cost_points: 1,
        discount: 1,
        starts_at: '2025-06-02T00:00:00Z',
      }),
      makeOption(3, {
        name: 'Ended',
        type: 'discount_amount',
        cost_points: 1,
        discount: 1,
        ends_at: NOW.toISOString(),
      }),
      makeOption(4, {
        name: 'Live',
        type: 'discount_amount',
        cost_points: 1,
        discount: 1,
        ends_at: '2025-07-01T00:00:00Z',
      }),
    ];
    const programs = loyaltyProgramsFor(options, request(), RICH, NOW);
    expect(programs.map((program) => program.programId)).toEqual(['4']);
    expect(programs[0]!.expiresAt).toBe('2025-07-01T00:00:00Z');
  });

  it('is not applicable when the member has fewer available points than the cost', () => {
    const option = discountAmount({ cost_points: 100 });
    expect(applicable(option, request(), { availablePoints: 99 })).toBe(false);
    expect(programInapplicability(option, request(), { availablePoints: 99 })).toBe('insufficient_points');
    expect(applicable(option, request(), { availablePoints: 100 })).toBe(true);
  });

  it('is not applicable when one of the option’s limits has no room for the member', () => {
    const option = discountAmount({ cost_points: 100 });
    const full = (refusal: 'member_limit_reached' | 'out_of_stock') => ({
      ...RICH,
      limitsReached: new Map([[option.id, refusal]]),
    });
    expect(programInapplicability(option, request(), full('member_limit_reached'))).toBe('member_limit_reached');
    expect(programInapplicability(option, request(), full('out_of_stock'))).toBe('out_of_stock');
    expect(applicable(option, request(), full('out_of_stock'))).toBe(false);
    expect(applicable(option, request(), { ...RICH, limitsReached: new Map() })).toBe(true);
  });

  it('is not applicable when the reward item is not in the basket', () => {
    expect(applicable(freeItem('DRN-01'), request())).toBe(false);
    expect(programInapplicability(freeItem('DRN-01'), request(), RICH)).toBe('item_not_in_basket');
    expect(applicable(freeItem('CMB-02'), request())).toBe(true);
  });

  it('counts a PLU found only in subItems as present', () => {
    expect(applicable(freeItem('VEG-02'), request())).toBe(true);
    const deep = request((json) => json.order.items[0].subItems[0].subItems.push(item('SAUCE-01')));
    expect(applicable(freeItem('SAUCE-01'), deep)).toBe(true);
  });

  it('does not count a basket line of quantity 0 as present', () => {
    const zero = request((json) => json.order.items.push(item('DRN-01', 0)));
    expect(applicable(freeItem('DRN-01'), zero)).toBe(false);
    const zeroParent = request((json) => json.order.items.push(item('CMB-03', 0, [item('DRN-01', 1)])));
    expect(applicable(freeItem('DRN-01'), zeroParent)).toBe(false);
  });

  it('makes buy one get one free applicable with one paid unit of its PLU', () => {
    const bogo = makeOption(3, { name: 'BOGO', type: 'buy_one_get_one_free', cost_points: 100, item_plu: 'DRN-02' });
    expect(applicable(bogo, request())).toBe(false);
    expect(
      applicable(
        bogo,
        request((json) => json.order.items.push(item('DRN-02', 1))),
      ),
    ).toBe(true);
  });

  it('requires every item reward type to find its PLU', () => {
    for (const type of ['item_discount_amount', 'item_discount_percentage'] as const) {
      const option = makeOption(5, { name: type, type, cost_points: 150, discount: 1000, item_plu: '1282933778' });
      expect(applicable(option, request())).toBe(false);
      expect(applicable(option, seedBasketWithDrinks())).toBe(true);
    }
  });

  it('is not applicable when the order subTotal is below the minimum subtotal', () => {
    expect(applicable(discountAmount({ min_subtotal: 1701 }), request())).toBe(false);
    expect(programInapplicability(discountAmount({ min_subtotal: 1701 }), request(), RICH)).toBe(
      'min_subtotal_not_met',
    );
    expect(applicable(discountAmount({ min_subtotal: 1700 }), request())).toBe(true);
  });

  it('is not applicable at a location the option is not offered at', () => {
    expect(applicable(discountAmount({ branch_ids: ['elsewhere'] }), request())).toBe(false);
    expect(programInapplicability(discountAmount({ branch_ids: ['elsewhere'] }), request(), RICH)).toBe(
      'branch_not_allowed',
    );
    expect(applicable(discountAmount({ branch_ids: ['elsewhere', LOCATION] }), request())).toBe(true);
  });

  it("accepts the request's locationId as the branch as well as order.location", () => {
    const option = discountAmount({ branch_ids: ['loc-top'] });
    expect(
      applicable(
        option,
        request((json) => (json.locationId = 'loc-top')),
      ),
    ).toBe(true);
    const noLocation = request((json) => delete json.order.location);
    expect(applicable(option, noLocation)).toBe(false);
  });

  it("is not applicable to a basket whose decimalDigits differ from the option currency's", () => {
    const threeDigits = request((json) => (json.order.decimalDigits = 3));
    expect(applicable(discountAmount(), threeDigits)).toBe(false);
    expect(programInapplicability(discountAmount(), threeDigits, RICH)).toBe('currency_not_supported');
    expect(applicable(discountAmount({ currency: 'KWD' }), threeDigits)).toBe(true);
    expect(applicable(discountAmount({ currency: 'JPY' }), request())).toBe(false);
  });

  it('is not applicable for another business than the option is for', () => {
    expect(applicable(discountAmount({ business_ref: 'other-account' }), request())).toBe(false);
    expect(programInapplicability(discountAmount({ business_ref: 'other-account' }), request(), RICH)).toBe(
      'business_not_allowed',
    );
    expect(applicable(discountAmount({ business_ref: ACCOUNT }), request())).toBe(true);
    const topLevelAccount = request((json) => {
      delete json.order.account;
      json.accountId = 'acc-top';
    });
    expect(applicable(discountAmount({ business_ref: 'acc-top' }), topLevelAccount)).toBe(true);
    const noAccount = request((json) => delete json.order.account);
    expect(applicable(discountAmount({ business_ref: ACCOUNT }), noAccount)).toBe(false);
  });
});

describe('basketPlus', () => {
  it('totals quantities per PLU across lines and nested subItems, sub quantities per unit of the parent', () => {
    const req = request((json) => {
      json.order.items[0].quantity = 2;
      json.order.items.push(item('VEG-01', 1), item('CMB-02', 1, [item('VEG-02', 3, [item('SAUCE', 2)])]));
    });
    expect(Object.fromEntries(basketPlus(req.order))).toEqual({
      'CMB-02': 3,
      'VEG-01': 3,
      'VEG-02': 5,
      SAUCE: 6,
    });
  });
});

describe('customerIdentifierOf', () => {
  it('uses the e-mail first, lower-cased', () => {
    const order = request((json) => (json.order.customer.email = ' Loyalty@Customer.COM ')).order;
    expect(customerIdentifierOf(order)).toEqual({ field: 'email', value: 'loyalty@customer.com' });
  });

  it('falls back to the phone number when there is no e-mail', () => {
    const order = request((json) => {
      delete json.order.customer.email;
      json.order.customer.phoneNumber = '+31 20 123-4567';
    }).order;
    expect(customerIdentifierOf(order)).toEqual({ field: 'phone_number', value: '+31201234567' });
  });
});
