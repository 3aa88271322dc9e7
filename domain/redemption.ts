import { z } from 'zod';
import { normalizeEmail } from './email';
import { PARTNER_NAMES, type PartnerName } from './partners';
import { currencySchema, type RedemptionOption } from './options';
import { requiredText } from './text';
import { REDEMPTION_STATUSES, REJECTION_REASONS, type RedemptionStatus, type RejectionReason } from './states';

const identifier = requiredText(320);
const IDENTIFIER_FIELDS = ['customer_email', 'pos_account_id', 'phone_number', 'customer_external_id'] as const;

/** Create Redemption, exactly the Yotpo-style seed's fields. */
export const createRedemptionSchema = z
  .object({
    customer_email: identifier.optional(),
    pos_account_id: identifier.optional(),
    phone_number: identifier.optional(),
    customer_external_id: identifier.optional(),
    redemption_option_id: z.number().int().positive().max(2_147_483_647),
    delay_points_deduction: z.boolean().default(false),
    currency: currencySchema.optional(),
    point_redemptions: z.number().int().min(1).max(2_147_483_647).optional(),
  })
  .strict()
  .refine((body) => body.customer_email || body.pos_account_id || body.phone_number || body.customer_external_id, {
    message: 'one of customer_email, pos_account_id, phone_number or customer_external_id is required',
    path: ['customer_email'],
  })
  .meta({ id: 'CreateRedemption', anyOf: IDENTIFIER_FIELDS.map((field) => ({ required: [field] })) });
export type CreateRedemptionRequest = z.output<typeof createRedemptionSchema>;

export type MemberIdentifier =
  | { field: 'email'; value: string }
  | { field: 'pos_account_id'; value: string }
  | { field: 'phone_number'; value: string }
  | { field: 'external_id'; value: string };

/** The identifier that finds the member, in the seed's order of precedence. */
export function memberIdentifierOf(request: CreateRedemptionRequest): MemberIdentifier {
  if (request.customer_email) return { field: 'email', value: normalizeEmail(request.customer_email) };
  if (request.pos_account_id) return { field: 'pos_account_id', value: request.pos_account_id };
  if (request.phone_number) return { field: 'phone_number', value: request.phone_number };
  return { field: 'external_id', value: request.customer_external_id! };
}

/** Where a capture came from: a partner's own redeem webhook needs no fulfilment call back to that partner. */
export interface OrderCapture {
  order_id: string;
  branch_id?: string;
  business_ref?: string;
  subtotal?: number;
  currency?: string;
  source_partner?: PartnerName;
  /** The API client that sent the order, named in the audit trail. */
  client?: string;
}

/** An order cancellation as a redemption's workflow receives it (see cancelOrderUpdate). */
export interface OrderCancellation {
  order_id: string;
  /** Names a partial cancellation, so that it is applied once; absent for the whole order. */
  cancellation_id?: string;
  /** Minor units of the order's subtotal cancelled (order-level rewards); absent: the whole redemption. */
  amount?: number;
  /** The API client that sent the cancellation, named in the audit trail; absent for a partner's. */
  client?: string;
}

/** A redemption's cancellation as its workflow receives it; the Temporal UI sends none. */
export interface CancelRequest {
  /** The API client that asked, named in the audit trail. */
  client?: string;
}

/** Settings fixed at start so that the workflow's decisions replay identically. */
export interface RedemptionSettings {
  couponTtlSeconds: number;
  partnerDeadlineMs: number;
  partnerAttemptTimeoutMs: number;
  /** Absent from workflows started before it existed: those use DEFAULT_PARTNER_RECONCILE_LIMIT_MS. */
  partnerReconcileLimitMs?: number;
}

const MEMBER_IDENTIFIER_FIELDS = ['customer_email', 'pos_account_id', 'phone_number', 'customer_external_id'] as const;

/** A Create Redemption request without the fields that identify a person: what a workflow may carry. */
export type RedemptionRequestWithoutIdentifiers = Omit<
  CreateRedemptionRequest,
  (typeof MEMBER_IDENTIFIER_FIELDS)[number]
>;

export function withoutIdentifiers(request: CreateRedemptionRequest): RedemptionRequestWithoutIdentifiers {
  const copy: Record<string, unknown> = { ...request };
  for (const field of MEMBER_IDENTIFIER_FIELDS) delete copy[field];
  return copy as RedemptionRequestWithoutIdentifiers;
}

/**
 * Whether a new redemption's workflow ends with its first step: an immediate one whose option has neither limits nor a
 * partner to call is judged, its points debited and completed in one store step, or refused
 * (workflows/redemption/begin-with-points.ts).
 */
export function endsWithItsFirstStep(
  request: Pick<CreateRedemptionRequest, 'delay_points_deduction'>,
  option: Pick<RedemptionOption, 'limits' | 'partner'> | null,
): boolean {
  return option !== null && !option.limits && option.partner === null && !request.delay_points_deduction;
}

/**
 * A redemption workflow's input. It holds no personal data: the API finds the member by the identifier it was sent
 * and passes the member's id. (Workflows started before this carried the full request and no memberId; their first
 * step looks the member up by the request's identifier.)
 */
export interface RedemptionInput {
  redemptionId: string;
  requestHash: string;
  request: RedemptionRequestWithoutIdentifiers & Partial<CreateRedemptionRequest>;
  /** The member the request named, or null when no member has that identifier. */
  memberId?: string | null;
  /** The catalogue's option as the API read it (null: none); absent in workflows started before, which read it. */
  option?: RedemptionOption | null;
  settings: RedemptionSettings;
  /** The order this redemption is part of, when they arrive together (a partner's order notification). */
  order?: OrderCapture;
  /**
   * The API client that asked for it, which alone reads it (besides operators). Absent when a partner's notification
   * started it, and in workflows started before clients owned their redemptions.
   */
  clientId?: string;
}

/** What the workflow reports of itself; readers get the full view from MongoDB. */
export interface RedemptionOutcome {
  id: string;
  status: RedemptionStatus;
  reason: RejectionReason | null;
  coupon_code: string | null;
  order_id: string | null;
  /** Points a partial order cancellation gave back (its answer only; the same again for a resent one). */
  cancellation_refund?: number;
  /** The redemption as the step that decided it stored it (the decision's answer only; see decision()). */
  redemption?: RedemptionView;
}

export interface RedemptionEvent {
  at: string;
  type: string;
  status?: RedemptionStatus;
  data?: Record<string, unknown>;
  /** The API client whose request wrote it; absent for the workflow's own steps and partners' webhooks. */
  client?: string;
}

/** What every caller sees of a redemption. */
export const redemptionViewSchema = z
  .object({
    id: z.string(),
    member_id: z.string().nullable(),
    redemption_option_id: z.number().int(),
    points: z.number().int().nullable(),
    delay_points_deduction: z.boolean(),
    currency: z.string().nullable(),
    coupon_code: z.string().nullable(),
    reward_text: z.string().nullable().meta({ description: 'The coupon code, as the Yotpo-style API returns it' }),
    status: z.enum(REDEMPTION_STATUSES),
    reason: z.enum(REJECTION_REASONS).nullable(),
    partner: z.enum(PARTNER_NAMES).nullable(),
    order_id: z.string().nullable(),
    points_refunded: z
      .number()
      .int()
      .meta({ description: 'Points given back so far by order cancellations, refunds or compensation' }),
    expires_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Redemption' });
export type RedemptionView = z.output<typeof redemptionViewSchema>;
