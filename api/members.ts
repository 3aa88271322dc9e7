import { Router } from 'express';
import { z } from 'zod';
import {
  IdempotencyKeyConflictError,
  InsufficientPointsError,
  LEDGER_TYPES,
  LedgerContentionError,
  pointsOfEntry,
} from '../domain/ledger';
import { IdentifierTakenError, MEMBER_IDENTIFIERS } from '../domain/members';
import { ExpiryInPastError, type Lot } from '../domain/points-expiry';
import { requiredText, plainText } from '../domain/text';
import type { MemberDesk } from '../application/members';
import type { Balances, LedgerEntry } from '../store/ledger';
import type { Member } from '../store/members';
import type { AppDeps } from './app';
import { ApiError } from './errors';
import { callerOf } from './auth';
import { pageWindow, paginate, paginatedSchema, paginationQuery, parseSort } from './pagination';
import { errorSchema, type RouteBook } from './routes';

const MOUNT = '/v1';
const TAG = 'Members';
const MAX_POINTS = 1_000_000_000;

const identifierString = requiredText(200);

const createMemberSchema = z
  .object({
    email: z
      .email()
      .max(320)
      .toLowerCase()
      .optional()
      .meta({ description: 'Stored lower-case', pattern: z.regexes.email.source }),
    phone_number: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +966501234567')
      .optional(),
    pos_account_id: identifierString.optional(),
    external_id: identifierString.optional(),
    name: requiredText(200).optional(),
  })
  .strict()
  .refine((body) => MEMBER_IDENTIFIERS.some((field) => body[field] !== undefined), {
    message: `one of ${MEMBER_IDENTIFIERS.join(', ')} is required`,
    path: ['email'],
  })
  .meta({ id: 'CreateMember', anyOf: MEMBER_IDENTIFIERS.map((field) => ({ required: [field] })) });

const memberIdParams = z.object({ id: plainText(200).min(1).meta({ description: 'The member id' }) });

const memberSchema = z
  .object({
    id: z.string(),
    email: z.string().nullable(),
    phone_number: z.string().nullable(),
    pos_account_id: z.string().nullable(),
    external_id: z.string().nullable(),
    name: z.string().nullable(),
    points_balance: z.number().int().meta({ description: 'Points owned' }),
    points_held: z.number().int().meta({ description: 'Reserved by redemptions awaiting their order' }),
    points_available: z.number().int().meta({ description: 'points_balance − points_held' }),
    points_expiring: z
      .array(
        z.object({
          expires_at: z.iso.datetime(),
          points: z.number().int().meta({ description: 'Available points that expire then' }),
        }),
      )
      .max(3)
      .meta({
        description:
          'The next three dates on which available points expire, soonest first, with how many (held points do not expire while held)',
      }),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'Member' });

const pointsChangeSchema = z
  .object({
    points: z
      .number()
      .int()
      .min(-MAX_POINTS)
      .max(MAX_POINTS)
      .refine((points) => points !== 0, 'must not be 0')
      .meta({
        description: 'Positive earns, negative adjusts down (never beyond the available points)',
        not: { const: 0 },
      }),
    reason: requiredText(500),
    idempotency_key: plainText(200).min(1).meta({
      description:
        "The client's key: the same key from the same API client again changes nothing and answers the first result; another client's is its own",
    }),
    expires_at: z.iso
      .datetime({ offset: true })
      .transform((value) => new Date(value).toISOString())
      .optional()
      .meta({
        description:
          'Earns only: when these points expire (in the future). The unspent rest leaves as an EXPIRE entry then; by default, as the programme says (POINTS_EXPIRE_AFTER_DAYS), else never',
      }),
  })
  .strict()
  .refine((body) => body.expires_at === undefined || body.points > 0, {
    message: 'only an earn (points > 0) may carry expires_at',
    path: ['expires_at'],
  })
  .meta({
    id: 'PointsChange',
    anyOf: [{ properties: { points: { minimum: 1 } } }, { properties: { expires_at: false } }],
  });

const ledgerEntrySchema = z
  .object({
    id: z.string(),
    type: z.enum(LEDGER_TYPES),
    points: z.number().int().meta({ description: 'Magnitude of the entry; signed for ADJUST' }),
    balance_delta: z.number().int(),
    held_delta: z.number().int(),
    balance_after: z.number().int(),
    held_after: z.number().int(),
    points_expired: z.number().int().meta({
      description:
        'Points that left the balance as expired: all of an EXPIRE, and the part of a RELEASE or REFUND whose date had passed',
    }),
    expires_at: z.iso.datetime().nullable().meta({
      description: 'EARN: when its points expire (null: never); EXPIRE: the date whose points expired',
    }),
    redemption_id: z.string().nullable(),
    reason: z.string().nullable(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'LedgerEntry' });

const pointsResultSchema = z.object({ entry: ledgerEntrySchema, member: memberSchema }).meta({ id: 'PointsResult' });

const ledgerPageSchema = paginatedSchema(ledgerEntrySchema, 'LedgerPage');

const LEDGER_SORT_FIELDS = ['created_at'] as const;
const ledgerQuerySchema = paginationQuery(LEDGER_SORT_FIELDS);

export function memberView(member: Member, balances: Balances, expiring: Lot[]) {
  return {
    id: member._id,
    email: member.email ?? null,
    phone_number: member.phone_number ?? null,
    pos_account_id: member.pos_account_id ?? null,
    external_id: member.external_id ?? null,
    name: member.name ?? null,
    ...balances,
    points_expiring: expiring,
    created_at: member.created_at.toISOString(),
  };
}

export function ledgerEntryView(entry: LedgerEntry) {
  return {
    id: entry.idempotency_key,
    type: entry.type,
    points: pointsOfEntry(entry),
    balance_delta: entry.balance_delta,
    held_delta: entry.held_delta,
    balance_after: entry.balance_after,
    held_after: entry.held_after,
    points_expired: entry.points_expired ?? 0,
    expires_at: entry.expires_at ?? null,
    redemption_id: entry.redemption_id ?? null,
    reason: entry.reason ?? null,
    created_at: entry.created_at.toISOString(),
  };
}

/** The ledger's refusals of a points change, as HTTP answers; anything else as it is. */
function answerLedgerRefusal(error: unknown): never {
  if (error instanceof ExpiryInPastError) {
    throw ApiError.unprocessable(
      'expiry_in_past',
      `expires_at ${error.expiresAt} has already passed; send a date in the future, or none.`,
    );
  }
  if (error instanceof InsufficientPointsError) {
    throw ApiError.unprocessable(
      'insufficient_points',
      `The member has ${error.available} points available; this adjustment needs ${error.requested}.`,
    );
  }
  if (error instanceof IdempotencyKeyConflictError) {
    throw ApiError.conflict(
      'idempotency_key_reused',
      'This idempotency_key was already used with different points; send a new key for a new change.',
    );
  }
  if (error instanceof LedgerContentionError) {
    throw new ApiError(
      503,
      'ledger_contention',
      'Too many concurrent changes to this member; retry the same request with the same idempotency_key.',
    );
  }
  throw error;
}

export function membersRouter(deps: AppDeps, members: MemberDesk, routes: RouteBook): Router {
  const router = Router();

  routes.add(
    router,
    MOUNT,
    {
      method: 'post',
      path: '/v1/members',
      summary: 'Create a member',
      tag: TAG,
      auth: 'api-key',
      scopes: ['members:write'],
      body: createMemberSchema,
      responses: {
        201: { description: 'Created', schema: memberSchema },
        409: { description: 'An identifier belongs to another member (identifier_taken)', schema: errorSchema },
      },
    },
    async ({ body }, _req, res) => {
      try {
        const { member, balances, expiring } = await members.create(body);
        res.status(201).json(memberView(member, balances, expiring));
      } catch (error) {
        if (!(error instanceof IdentifierTakenError)) throw error;
        const taken = error.fields;
        throw new ApiError(
          409,
          'identifier_taken',
          taken.length > 0
            ? `Another member already has this ${taken.join(' and ')}; use another or find that member.`
            : error.message,
          (taken.length > 0 ? taken : ['(body)']).map((path) => ({
            path,
            message: 'is already taken by another member',
          })),
        );
      }
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'get',
      path: '/v1/members/{id}',
      summary: 'A member with their points balances',
      tag: TAG,
      auth: 'api-key',
      scopes: ['members:read'],
      params: memberIdParams,
      responses: {
        200: { description: 'The member', schema: memberSchema },
        404: { description: 'Unknown member', schema: errorSchema },
      },
    },
    async ({ params }, _req, res) => {
      const { member, balances, expiring } = await members.get(params.id);
      res.json(memberView(member, balances, expiring));
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'post',
      path: '/v1/members/{id}/points',
      summary: 'Earn (points > 0) or adjust (points < 0) points, idempotently',
      tag: TAG,
      auth: 'api-key',
      scopes: ['members:write'],
      params: memberIdParams,
      body: pointsChangeSchema,
      responses: {
        201: {
          description: 'Written: the entry, and the member with their points right after it',
          schema: pointsResultSchema,
        },
        200: {
          description:
            "This idempotency_key was already used with these points: nothing changed; the first entry, and the member's points now",
          schema: pointsResultSchema,
        },
        404: { description: 'Unknown member', schema: errorSchema },
        409: {
          description: 'This idempotency_key was used with other points (idempotency_key_reused)',
          schema: errorSchema,
        },
        422: {
          description:
            'The adjustment exceeds the available points (insufficient_points), or expires_at has passed (expiry_in_past)',
          schema: errorSchema,
        },
        503: { description: 'Too much contention on this member; retry with the same key', schema: errorSchema },
      },
    },
    async ({ params, body }, _req, res) => {
      const { entry, duplicate, member } = await members
        .changePoints(params.id, {
          points: body.points,
          reason: body.reason,
          ...(body.expires_at !== undefined ? { expiresAt: body.expires_at } : {}),
          idempotencyKey: body.idempotency_key,
          clientId: callerOf(res).client,
        })
        .catch(answerLedgerRefusal);
      res.status(duplicate ? 200 : 201).json({
        entry: ledgerEntryView(entry),
        member: memberView(member.member, member.balances, member.expiring),
      });
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'get',
      path: '/v1/members/{id}/ledger',
      summary: "A member's ledger entries, newest first",
      tag: TAG,
      auth: 'api-key',
      scopes: ['members:read'],
      params: memberIdParams,
      query: ledgerQuerySchema,
      responses: {
        200: { description: 'One page of entries', schema: ledgerPageSchema },
        404: { description: 'Unknown member', schema: errorSchema },
      },
    },
    async ({ params, query }, _req, res) => {
      const { skip, limit } = pageWindow(query);
      const oldestFirst = parseSort(query.sort, { created_at: 'seq' }, { seq: -1 }).seq === 1;
      const { entries, total } = await members.ledgerPage(params.id, { skip, limit, oldestFirst });
      res.json(
        paginate(
          deps.config.publicBaseUrl,
          { path: `/v1/members/${encodeURIComponent(params.id)}/ledger`, query },
          {
            items: entries.map(ledgerEntryView),
            total,
            page: query.page,
            perPage: query.per_page,
          },
        ),
      );
    },
  );

  return router;
}
