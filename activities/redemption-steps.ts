import { auditedNote, type OperatorAction, type OperatorNote } from '../domain/operator-actions';
/**
 * The redemption saga's store steps, run as local activities. Each one is idempotent, because a failed workflow task
 * runs its local activities again: ledger entries and the coupon are keyed by the redemption and the step, a status
 * change carries the workflow's version of the step, and any other audit event carries a key.
 */
import { ApplicationFailure } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { couponCodeFromRandomBytes } from '../domain/coupon';
import { eligibilityOfRequest, type OrderContext } from '../domain/eligibility';
import { FailureType } from '../domain/failures';
import { maskRequest } from '../domain/masking';
import {
  LIMIT_REFUSALS,
  isLimitRefusal,
  limitScopes,
  type LimitRefusal,
  type LimitSlot,
  type OptionLimits,
} from '../domain/limits';
import type { RedemptionOption } from '../domain/options';
import type { PartnerName } from '../domain/partners';
import {
  memberIdentifierOf,
  type CreateRedemptionRequest,
  type RedemptionInput,
  type RedemptionView,
} from '../domain/redemption';
import { toRedemptionView } from '../domain/redemption-view';
import { utcDay } from '../domain/reports';
import type { ReviewResolution } from '../domain/review';
import { isFinal, type RedemptionStatus, type RejectionReason } from '../domain/states';
import {
  IdempotencyKeyConflictError,
  InsufficientPointsError,
  LedgerContentionError,
  type LedgerType,
} from '../domain/ledger';
import { Ledger, type Balances, type LedgerHeadState } from '../store/ledger';
import { pointsForRedemption } from '../domain/reward';
import { LimitReachedError, LimitUndecidedError, LimitUsage, usageKey } from '../store/limit-usage';
import { Members } from '../store/members';
import { Options } from '../store/options';
import {
  CouponCodeTakenError,
  RedemptionMissingError,
  Redemptions,
  type AppliedCancellation,
  type AuditEvent,
  type RedemptionChanges,
  type RedemptionDocument,
} from '../store/redemptions';
import type { MerchantEvents } from './merchant-events';
import { stepFailure } from './step-failure';
import { createWorkerMetrics, type WorkerMetrics } from './metrics';

export interface BeginRedemptionInput {
  redemptionId: string;
  requestHash: string;
  request: RedemptionInput['request'];
  /** Found by the API; absent for workflows started before it did, whose request names the member. */
  memberId?: string | null;
  /** The API client that asked for it (see RedemptionInput). */
  clientId?: string;
  /** The option as the API read it for the request; absent for workflows started before it passed it on. */
  option?: RedemptionOption | null;
}

/** The first step with the points (beginRedemptionWithPoints): for a redemption whose option has no limits. */
export interface BeginWithPointsInput extends BeginRedemptionInput {
  /** The workflow's time, at which the request is judged (eligibilityOfRequest), as the workflow judges it. */
  now: string;
  /** An order that came with the redemption: its rules are judged up front. */
  order?: OrderContext;
  /** How the points move when the request is eligible (see ReservePointsInput); the currency is the judgement's. */
  points: Pick<ReservePointsInput, 'version' | 'completedVersion' | 'delayed'> & {
    changes: Omit<ReservePointsInput['changes'], 'currency'>;
  };
}

export interface BeganWithPoints {
  context: RedemptionContext;
  /**
   * The points moved and the coupon issued, or `insufficient_points` when the ledger had fewer than its newest entry
   * said; absent when the request is not eligible (nothing moved).
   */
  reserved?: ReservedPoints | 'insufficient_points';
}

/**
 * begin, then reserve in the same step when the request is eligible on what begin found, judged at the workflow's time
 * as the workflow judges it: one local activity where there were two. The store steps run it, and so do their fakes.
 * Given `record`, begin only loads, and the redemption is recorded once: by reserve in the status it leaves it, or as
 * pending by `record` when no points move (the next step, its rejection, writes over that).
 */
export async function beginWithPoints(
  { now, order, points, ...input }: BeginWithPointsInput,
  steps: {
    begin(input: BeginRedemptionInput): Promise<RedemptionContext>;
    reserve(input: ReservePointsInput): Promise<ReservedPoints>;
    record?(): Promise<void>;
  },
): Promise<BeganWithPoints> {
  const context = await steps.begin(input);
  const eligibility = eligibilityOfRequest(input.request, context, new Date(now), order);
  if (!eligibility.ok) {
    await steps.record?.();
    return { context };
  }
  try {
    const reserved = await steps.reserve({
      redemptionId: input.redemptionId,
      memberId: context.memberId!,
      points: eligibility.points,
      ...points,
      ...(context.ledgerHead ? { knownHead: context.ledgerHead } : {}),
      changes: { currency: eligibility.currency, ...points.changes },
    });
    return { context, reserved };
  } catch (error) {
    if (error instanceof ApplicationFailure && error.type === FailureType.InsufficientPoints) {
      await steps.record?.();
      return { context, reserved: 'insufficient_points' };
    }
    throw error;
  }
}

export interface RedemptionContext {
  memberId: string | null;
  option: RedemptionOption | null;
  availablePoints: number;
  /** The member's ledger head the points were read from, for the step that moves them (see Ledger.append). */
  ledgerHead?: LedgerHeadState;
}

/** A redemption not recorded yet, as its first step would record it pending. */
interface PendingRedemption {
  document: RedemptionDocument;
  requested: AuditEvent;
}

/** A status-changing step: the workflow numbers them, and the store applies each only over an older one. */
interface StatusStep {
  redemptionId: string;
  version: number;
}

/** A step an API client's request made: each audit event it writes names that client. */
interface ByClient {
  client?: string;
}

/** The member's points that a redemption moves. */
interface PointsOfRedemption {
  redemptionId: string;
  memberId: string;
  points: number;
}

export interface RejectInput extends StatusStep {
  reason: RejectionReason;
  memberId: string | null;
}

export interface ReservePointsInput extends StatusStep, PointsOfRedemption {
  /** Held until the order arrives, or debited now. */
  delayed: boolean;
  /** The ledger head the first step read, which saves reading it again. */
  knownHead?: LedgerHeadState;
  /** With no partner to call, the step completes the redemption too, under this version (see changeStatusThenComplete). */
  completedVersion?: number;
  /** The slots the redemption took in its option's limits: decided once the points are reserved. */
  slots?: LimitSlot[];
  changes: Pick<RedemptionChanges, 'currency' | 'partner' | 'expires_at' | 'order_id' | 'order_subtotal'>;
}

export interface ReservedPoints {
  couponCode: string;
  /** The member's ledger head as the step left it, which saves the capture reading it again. */
  ledgerHead: LedgerHeadState;
  /**
   * The redemption as the step stored it, when the step decided it (completed, or awaiting its order): Create
   * Redemption answers with it. Absent for a repeated step that found its write applied.
   */
  redemption?: RedemptionView;
}

export interface CapturePointsInput extends StatusStep, PointsOfRedemption, ByClient {
  /** The ledger head the hold left, which saves reading it again; a stale one costs a retry of the append. */
  knownHead?: LedgerHeadState;
  orderId: string;
  /** The partner whose own webhook captured the coupon, if one did. */
  sourcePartner: PartnerName | null;
  /** The order's subtotal, when it said. */
  orderSubtotal?: number;
  /** With no partner to call, the step completes the redemption too, under this version. */
  completedVersion?: number;
}

export interface ReleasePointsInput extends StatusStep, PointsOfRedemption, ByClient {
  status: Extract<RedemptionStatus, 'expired' | 'cancelled'>;
}

export interface ClaimLimitSlotsInput {
  redemptionId: string;
  memberId: string;
  optionId: number;
  limits: OptionLimits;
  /** Undecided slots count as taken: the redemption waited long enough for them (see takeLimitSlots). */
  undecidedAsTaken?: boolean;
}

/**
 * Room in every limit (and the slots taken), the first limit that had none (and nothing taken), or a limit whose room
 * depends on redemptions not decided yet (`wait`: the slots taken so far are kept, and the step is to run again).
 */
export type LimitClaim =
  { ok: true; slots: LimitSlot[] } | { ok: false; reason: LimitRefusal } | { ok: false; wait: true; scope: string };

export interface ReleaseLimitSlotsInput {
  redemptionId: string;
  slots: LimitSlot[];
  /** Why: the status the redemption ends in. */
  cause: RedemptionStatus;
}

export interface RedemptionState {
  status: RedemptionStatus;
  reason: RejectionReason | null;
  coupon_code: string | null;
  order_id: string | null;
  member_id: string | null;
  points: number | null;
  version: number;
  completed_at: string | null;
  option: RedemptionOption | null;
  /** Absent from states loaded before limits existed. */
  limit_slots?: LimitSlot[];
  /** Absent from histories recorded before partial cancellations: read as none. */
  order_subtotal?: number | null;
  points_refunded?: number;
  amount_cancelled?: number;
  order_cancellations?: AppliedCancellation[];
}

/** A partial cancellation of the order, applied to one redemption (see domain/partial-refund.ts). */
export interface RefundOrderPartInput extends StatusStep, ByClient {
  redemptionId: string;
  memberId: string;
  cancellationId: string;
  /** Points given back now (r' − r); zero writes no ledger entry. */
  refund: number;
  /** Points given back by the order's cancellations after this one (r'): names the ledger entry. */
  pointsRefunded: number;
  amountCancelled: number;
  /** The cancellations applied, this one included. */
  cancellations: AppliedCancellation[];
  /** Whether every point is back now: the redemption becomes refunded. */
  allRefunded: boolean;
}

export interface CompensatedInput extends StatusStep {
  failure: string;
}

export interface NeedsReviewInput extends StatusStep {
  /** The last attempt's failure, for the operator who reviews it. */
  failure: string;
}

/** Names the API client that made the step's writes on each of its audit events. */
function byClient(events: AuditEvent[], client: string | undefined): AuditEvent[] {
  return client === undefined ? events : events.map((event) => ({ ...event, client }));
}

function statusEvent(status: RedemptionStatus, data: Record<string, unknown>): AuditEvent {
  return { type: 'status', status, ...(Object.keys(data).length > 0 ? { data } : {}) };
}

/** For the steps' own tests: no merchant events. */
const NO_MERCHANT_EVENTS: MerchantEvents = { statusChanged: async () => undefined };

function randomCouponCode(): string {
  return couponCodeFromRandomBytes(() => randomBytes(24));
}

/**
 * `merchantEvents` hears of every status change after it is written, including the creation as pending: a step
 * repeated after its change was applied tells it again (it de-duplicates), so that each change is emitted at least once.
 * `drawCouponCode` is random but for tests.
 */
export function createRedemptionSteps(
  db: Db,
  metrics: WorkerMetrics = createWorkerMetrics(),
  merchantEvents: MerchantEvents = NO_MERCHANT_EVENTS,
  drawCouponCode: () => string = randomCouponCode,
) {
  const ledger = new Ledger(db, { contentionRetry: () => metrics.ledgerContentionRetry() });
  const members = new Members(db);
  const options = new Options(db);
  const redemptions = new Redemptions(db);
  const usage = new LimitUsage(db);

  async function giveBack(redemptionId: string, slots: LimitSlot[], cause: string): Promise<void> {
    for (const { kind, scope } of slots) await usage.release({ scope, kind, redemptionId, cause });
  }

  /** Appends the step's ledger entry (its idempotency key is the redemption and the step) and returns its audit event. */
  async function appendToLedger(
    points: PointsOfRedemption,
    type: LedgerType,
    step: string,
    knownHead?: LedgerHeadState,
  ): Promise<AuditEvent> {
    return (await appendLedgerEntry(points, type, step, knownHead)).event;
  }

  /** appendToLedger, with the member's head as the entry left it (a later step may start from it). */
  async function appendLedgerEntry(
    { redemptionId, memberId, points }: PointsOfRedemption,
    type: LedgerType,
    step: string,
    knownHead?: LedgerHeadState,
  ): Promise<{ event: AuditEvent; head: LedgerHeadState }> {
    try {
      const { entry } = await ledger.append({
        memberId,
        type,
        points,
        idempotencyKey: `${redemptionId}:${step}`,
        redemptionId,
        knownHead,
      });
      const { seq, balance_after, held_after, lots_after } = entry;
      return {
        event: { type: 'ledger', data: { entry: type, points, balance_after, held_after } },
        // With its schedule: a head without one is not trusted to start from (see Ledger.append).
        head: { seq, balance_after, held_after, ...(lots_after ? { lots_after } : {}) },
      };
    } catch (error) {
      if (error instanceof InsufficientPointsError) throw stepFailure(FailureType.InsufficientPoints, error.message);
      if (error instanceof LedgerContentionError) throw stepFailure(FailureType.LedgerContention, error.message);
      if (error instanceof IdempotencyKeyConflictError) {
        throw stepFailure(FailureType.IdempotencyKeyConflict, error.message);
      }
      throw error;
    }
  }

  /** A redemption gone from the store fails its step loudly: it is never taken for a repeat that applied nothing. */
  async function noneMissing<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      if (!(error instanceof RedemptionMissingError)) throw error;
      metrics.redemptionMissing();
      throw stepFailure(FailureType.RedemptionMissing, error.message);
    }
  }

  /** Appends audit events (and the fields they set) outside a status change, once per key. */
  function audit(...args: Parameters<Redemptions['appendEvent']>): Promise<void> {
    return noneMissing(redemptions.appendEvent(...args));
  }

  async function changeStatus(
    { redemptionId, version, client }: StatusStep & ByClient,
    status: RedemptionStatus,
    changes: RedemptionChanges,
    events: AuditEvent[] = [],
    note: Record<string, unknown> = {},
  ): Promise<RedemptionDocument | null> {
    const applied = await noneMissing(
      redemptions.changeStatus(
        redemptionId,
        version,
        { ...changes, status },
        byClient([...events, statusEvent(status, { ...changes, ...note })], client),
      ),
    );
    // Counted once: a repeated step applies nothing.
    if (applied && (isFinal(status) || status === 'completed')) metrics.redemptionFinished(status, applied.partner);
    await merchantEvents.statusChanged({ redemptionId, version, status, ...(applied ? { document: applied } : {}) });
    return applied;
  }

  /**
   * A step into `redeeming` that completes the redemption in the same write, when there is no partner to call: the
   * audit trail and the merchant's events still show `redeeming`, then `completed`, each under its own version.
   */
  async function changeStatusThenComplete(
    { redemptionId, version, client }: StatusStep & ByClient,
    completedVersion: number,
    changes: RedemptionChanges,
    events: AuditEvent[],
    note: Record<string, unknown> = {},
  ): Promise<RedemptionDocument | null> {
    const completion = { completed_at: new Date().toISOString() };
    const applied = await noneMissing(
      redemptions.changeStatus(
        redemptionId,
        completedVersion,
        { ...changes, ...completion, status: 'completed' },
        // The completion is the workflow's own, not the client's.
        [
          ...byClient([...events, statusEvent('redeeming', { ...changes, ...note })], client),
          statusEvent('completed', completion),
        ],
      ),
    );
    if (applied) metrics.redemptionFinished('completed', applied.partner);
    // A repeated step (its first run wrote, then failed) still owes the merchant both events, as long as no later step
    // has changed the redemption since: the status it passed through is in no stored document to read it from.
    const written = applied ?? (await redemptions.get(redemptionId));
    const current = written?.version === completedVersion ? written : null;
    await tellRedeemingThenCompleted(redemptionId, version, completedVersion, current);
    return current;
  }

  /**
   * Tells the merchant of a step into `redeeming` that completed the redemption in the same write: both statuses, each
   * under its own version, with the redemption as the step left it when it is known.
   */
  async function tellRedeemingThenCompleted(
    redemptionId: string,
    version: number,
    completedVersion: number,
    completed: RedemptionDocument | null,
  ): Promise<void> {
    await merchantEvents.statusChanged({
      redemptionId,
      version,
      status: 'redeeming',
      ...(completed ? { document: { ...completed, status: 'redeeming' as const, version } } : {}),
    });
    await merchantEvents.statusChanged({
      redemptionId,
      version: completedVersion,
      status: 'completed',
      ...(completed ? { document: completed } : {}),
    });
  }

  /** How many of its member's available points the redemption's own ledger entries have taken. */
  async function pointsMovedBy(redemptionId: string): Promise<number> {
    const entries = await ledger.entriesOfRedemption(redemptionId);
    return -entries.reduce((available, entry) => available + entry.balance_delta - entry.held_delta, 0);
  }

  /** The member and its ledger head as the newest-entry hint has it (read exactly only when it says too few). */
  async function memberWithPoints({ request, memberId }: BeginRedemptionInput) {
    const id =
      memberId !== undefined
        ? memberId
        : ((await members.findByIdentifier(memberIdentifierOf(request as CreateRedemptionRequest)))?._id ?? null);
    return id ? { id, ...(await ledger.hintedBalances(id)) } : null;
  }

  /**
   * The member's available points to decide on. The hint's are enough when they cover the request: the append checks
   * again. When they do not, the hint may be an entry behind (a writer died before moving it), so the ledger is read
   * exactly before the request is refused for want of points, with `ownMoves` added when given: the points the
   * redemption itself has already moved, which a step run again must count as its first run did.
   */
  async function availableToDecideOn(
    member: { id: string; balances: Balances },
    option: RedemptionOption | null,
    request: BeginRedemptionInput['request'],
    ownMoves: () => Promise<number> = async () => 0,
  ): Promise<number> {
    const needed = option ? pointsForRedemption(option, request.point_redemptions) : undefined;
    const hinted = member.balances.points_available;
    if (!needed?.ok || hinted >= needed.points) return hinted;
    return (await ledger.balances(member.id)).points_available + (await ownMoves());
  }

  /**
   * Debits the points (or holds them until the order), issues the coupon, and records the redemption as redeeming
   * (or awaiting its order). Returns the coupon code and the ledger head the step left. Fails with InsufficientPoints,
   * issuing nothing, when the ledger has too few points.
   */
  async function reserve(input: ReservePointsInput, unrecorded?: PendingRedemption): Promise<ReservedPoints> {
    const { event: entry, head } = await appendLedgerEntry(
      input,
      input.delayed ? 'HOLD' : 'DEBIT',
      input.delayed ? 'hold' : 'debit',
      input.knownHead,
    );
    for (const { kind, scope } of input.slots ?? [])
      await usage.settle({ scope, kind, redemptionId: input.redemptionId });
    for (;;) {
      try {
        const { couponCode, stored } = await recordReserved(input, unrecorded, entry, drawCouponCode());
        const decided = stored && stored.status !== 'redeeming';
        return { couponCode, ledgerHead: head, ...(decided ? { redemption: toRedemptionView(stored) } : {}) };
      } catch (error) {
        // A (vanishingly rare) code another redemption has: drawn again, the write had changed nothing.
        if (!(error instanceof CouponCodeTakenError)) throw error;
      }
    }
  }

  /**
   * Writes what reserve did, with the coupon code drawn for it: the redemption as this write left it (null when a
   * repeat of the step applied nothing), and its coupon code, which a repeat finds as its first run stored it.
   */
  async function recordReserved(
    input: ReservePointsInput,
    unrecorded: PendingRedemption | undefined,
    entry: AuditEvent,
    drawn: string,
  ): Promise<{ couponCode: string; stored: RedemptionDocument | null }> {
    const coupon = { coupon_code: drawn, issued_coupon_code: drawn };
    const changes = { member_id: input.memberId, points: input.points, ...input.changes, ...coupon };
    const { completedVersion, delayed } = input;
    const recorded = unrecorded && (await recordWithPoints(input, unrecorded, changes, entry));
    const stored =
      recorded ??
      (completedVersion !== undefined && !delayed
        ? await changeStatusThenComplete(input, completedVersion, changes, [entry])
        : await changeStatus(input, delayed ? 'awaiting_order' : 'redeeming', changes, [entry]));
    const couponCode = (stored ?? (await redemptions.get(input.redemptionId)))?.coupon_code;
    if (!couponCode) throw new Error(`Redemption ${input.redemptionId} has no coupon code after its points moved.`);
    return { couponCode, stored };
  }

  /** The redemption as its first step finds it: pending, with what the request says. */
  function pendingRedemption({
    redemptionId,
    requestHash,
    request,
    clientId,
  }: BeginRedemptionInput): PendingRedemption {
    const now = new Date();
    const pending: RedemptionDocument = {
      _id: redemptionId,
      client_id: clientId ?? null,
      request_hash: requestHash,
      request,
      member_id: null,
      redemption_option_id: request.redemption_option_id,
      points: null,
      delay_points_deduction: request.delay_points_deduction,
      currency: request.currency ?? null,
      coupon_code: null,
      status: 'pending',
      reason: null,
      partner: null,
      order_id: null,
      expires_at: null,
      created_at: now,
      created_day: utcDay(now),
      updated_at: now,
      version: 0,
    };
    const requested: AuditEvent = {
      type: 'requested',
      status: 'pending',
      data: { request: maskRequest(request) },
      ...(clientId !== undefined ? { client: clientId } : {}),
    };
    return { document: pending, requested };
  }

  /** Records the redemption as pending with its `requested` event, once; true if this call did. */
  async function recordPending({ document, requested }: PendingRedemption): Promise<boolean> {
    const created = await redemptions.createIfMissing(document, [{ at: document.created_at, ...requested }]);
    await merchantEvents.statusChanged({
      redemptionId: document._id,
      version: 0,
      status: 'pending',
      ...(created ? { document } : {}),
    });
    return created;
  }

  /**
   * The redemption's first record when the step that moves its points makes it (beginWithPoints): one insert in the
   * status the step leaves it, with the audit trail and the merchant's events the pending record and its change had,
   * where those were two writes. Null when an earlier run of the step recorded it: the caller applies its change as a
   * status step then, which changes nothing twice.
   */
  async function recordWithPoints(
    input: ReservePointsInput,
    { document: pending, requested }: PendingRedemption,
    changes: RedemptionChanges,
    entry: AuditEvent,
  ): Promise<RedemptionDocument | null> {
    const { redemptionId, version, completedVersion, delayed } = input;
    const completes = completedVersion !== undefined && !delayed;
    const moved = delayed ? 'awaiting_order' : 'redeeming';
    const at = new Date();
    const completion = completes ? { completed_at: at.toISOString() } : {};
    const document: RedemptionDocument = {
      ...pending,
      ...changes,
      ...completion,
      status: completes ? 'completed' : moved,
      version: completes ? completedVersion : version,
      updated_at: at,
    };
    const events = [
      { at: pending.created_at, ...requested },
      entry,
      statusEvent(moved, changes),
      ...(completes ? [statusEvent('completed', completion)] : []),
    ];
    // The pending state is told as it would have been stored: nothing records it now.
    await merchantEvents.statusChanged({ redemptionId, version: 0, status: 'pending', document: pending });
    if (!(await redemptions.createIfMissing(document, events))) return null;
    if (completes) {
      metrics.redemptionFinished('completed', document.partner);
      await tellRedeemingThenCompleted(redemptionId, version, completedVersion, document);
    } else await merchantEvents.statusChanged({ redemptionId, version, status: moved, document });
    return document;
  }

  /** What eligibility is decided on: the member, the option, and the member's available points. */
  async function loadContext(input: BeginRedemptionInput, ownMoves: () => Promise<number>): Promise<RedemptionContext> {
    const [member, option] = await Promise.all([
      memberWithPoints(input),
      input.option !== undefined ? input.option : options.get(input.request.redemption_option_id),
    ]);
    const available = member ? await availableToDecideOn(member, option, input.request, ownMoves) : 0;
    return {
      memberId: member?.id ?? null,
      option,
      availablePoints: available,
      ...(member ? { ledgerHead: member.head } : {}),
    };
  }

  /** Records the redemption with its `requested` event, and loads what eligibility is decided on. */
  async function begin(input: BeginRedemptionInput): Promise<RedemptionContext> {
    const pending = pendingRedemption(input);
    const [created, context] = await Promise.all([recordPending(pending), loadContext(input, async () => 0)]);
    // Run again (its workflow task was lost after later steps ran), the step must decide on the points as the first
    // run did: those this redemption itself has already held or spent still count as available to it.
    const ownMove = created || !context.memberId ? 0 : await pointsMovedBy(input.redemptionId);
    return { ...context, availablePoints: context.availablePoints + ownMove };
  }

  return {
    beginRedemption: begin,

    /**
     * The redemption is recorded once, in the status its points leave it (recordWithPoints). A run again of the step
     * cannot tell from a record of its own that it ran before, so when the member's points look short it counts those
     * the redemption itself has already moved, as begin does.
     */
    beginRedemptionWithPoints: (input: BeginWithPointsInput) => {
      const pending = pendingRedemption(input);
      return beginWithPoints(input, {
        begin: (first) => loadContext(first, () => pointsMovedBy(input.redemptionId)),
        reserve: (points) => reserve(points, pending),
        record: async () => {
          await recordPending(pending);
        },
      });
    },

    async rejectRedemption(input: RejectInput): Promise<void> {
      await changeStatus(input, 'rejected', {
        reason: input.reason,
        ...(input.memberId ? { member_id: input.memberId } : {}),
      });
    },

    /** reserve(), answering the ledger head the step left beside the coupon code (see ReservedPoints). */
    reservePointsWithLedgerHead: reserve,

    /** The step as workflows started before reservePointsWithLedgerHead call it: the coupon code alone. */
    async reservePoints(input: ReservePointsInput): Promise<string> {
      return (await reserve(input)).couponCode;
    },

    /**
     * Takes the redemption's slot in each of its option's limits, or none when one has no room left. A repeated step
     * finds the slots it took, even in an earlier period, and a refusal it already answered (the slots it had taken
     * meanwhile given back, with the refusal as their cause).
     */
    async claimLimitSlots(input: ClaimLimitSlotsInput): Promise<LimitClaim> {
      const { redemptionId } = input;
      const slots: LimitSlot[] = [];
      for (const { kind, scope, limit } of limitScopes(input.limits, input.optionId, input.memberId, new Date())) {
        try {
          const claim = await usage.claim({
            scope,
            limit,
            idempotencyKey: usageKey(redemptionId, kind, 'claim'),
            redemptionId,
            undecidedAsTaken: input.undecidedAsTaken === true,
          });
          // A repeated step whose slot was given back had been refused by a later limit: that is still the answer.
          const released = claim.duplicate ? await usage.entryWithKey(usageKey(redemptionId, kind, 'release')) : null;
          if (released)
            return { ok: false, reason: isLimitRefusal(released.cause) ? released.cause : LIMIT_REFUSALS[kind] };
          slots.push({ kind, scope: claim.entry.scope });
        } catch (error) {
          // Kept: the step runs again, finds them under their keys, and claims this one anew.
          if (error instanceof LimitUndecidedError) return { ok: false, wait: true, scope };
          if (!(error instanceof LimitReachedError)) throw error;
          await giveBack(redemptionId, slots, LIMIT_REFUSALS[kind]);
          return { ok: false, reason: LIMIT_REFUSALS[kind] };
        }
      }
      await audit(
        redemptionId,
        'limits:claim',
        { type: 'limit_slots_claimed', data: { slots } },
        { limit_slots: slots },
      );
      return { ok: true, slots };
    },

    /** The redemption ended without its reward (or gave it back): its slots in the option's limits are free again. */
    async releaseLimitSlots({ redemptionId, slots, cause }: ReleaseLimitSlotsInput): Promise<void> {
      await giveBack(redemptionId, slots, cause);
      await audit(redemptionId, 'limits:release', {
        type: 'limit_slots_released',
        data: { slots, cause },
      });
    },

    /** The order arrived: the held points are captured and the redemption goes on to fulfilment. */
    async capturePoints(input: CapturePointsInput): Promise<void> {
      const entry = await appendToLedger(input, 'CAPTURE', 'capture', input.knownHead);
      const subtotal = input.orderSubtotal !== undefined ? { order_subtotal: input.orderSubtotal } : {};
      const changes = { order_id: input.orderId, ...subtotal };
      const note = { source_partner: input.sourcePartner };
      if (input.completedVersion !== undefined) {
        await changeStatusThenComplete(input, input.completedVersion, changes, [entry], note);
      } else await changeStatus(input, 'redeeming', changes, [entry], note);
    },

    /** No order came (expired) or the redemption was cancelled: the hold is released and the coupon voided. */
    async releasePoints(input: ReleasePointsInput): Promise<void> {
      const entry = await appendToLedger(input, 'RELEASE', 'release');
      await changeStatus(input, input.status, {}, [entry, { type: 'coupon_voided' }]);
    },

    /** Answers the redemption as it stored it (Create Redemption's answer); undefined for a repeated step. */
    async completeRedemption(input: StatusStep): Promise<RedemptionView | undefined> {
      const stored = await changeStatus(input, 'completed', { completed_at: new Date().toISOString() });
      return stored ? toRedemptionView(stored) : undefined;
    },

    /** What a later event needs to know of a redemption whose workflow has ended. */
    async loadRedemptionState({ redemptionId }: { redemptionId: string }): Promise<RedemptionState | null> {
      const document = await redemptions.getConfirmed(redemptionId);
      if (!document) return null;
      return {
        status: document.status,
        reason: document.reason,
        coupon_code: document.coupon_code,
        order_id: document.order_id,
        member_id: document.member_id,
        points: document.points,
        version: document.version,
        completed_at: document.completed_at ?? null,
        option: await options.get(document.redemption_option_id),
        limit_slots: document.limit_slots ?? [],
        order_subtotal: document.order_subtotal ?? null,
        points_refunded: document.points_refunded ?? 0,
        amount_cancelled: document.amount_cancelled ?? 0,
        order_cancellations: document.order_cancellations ?? [],
      };
    },

    /** Compensation: the points go back to the member. */
    async refundPoints(input: PointsOfRedemption): Promise<void> {
      const entry = await appendToLedger(input, 'REFUND', 'refund');
      await audit(input.redemptionId, 'refund', entry);
    },

    /** Compensation: the coupon can no longer be used (its redemption's status says so; the trail records it). */
    async voidCoupon({ redemptionId }: { redemptionId: string }): Promise<void> {
      await audit(redemptionId, 'coupon-void', { type: 'coupon_voided' });
    },

    /** After the compensations ran: why fulfilment failed. */
    async markCompensated(input: CompensatedInput): Promise<void> {
      await changeStatus(input, 'compensated', {}, [], { failure: input.failure });
    },

    /**
     * The partner's answer stayed unknown past the reconcile limit: the points stay debited and the redemption waits
     * for an operator to say whether the partner fulfilled it.
     */
    async markNeedsReview(input: NeedsReviewInput): Promise<void> {
      await changeStatus(input, 'needs_review', {}, [], { failure: input.failure });
    },

    /** An operator's decision on a redemption in review, with who decided and why, before it is acted on. */
    async recordReviewResolution({
      redemptionId,
      resolution,
    }: {
      redemptionId: string;
      resolution: ReviewResolution;
    }): Promise<void> {
      await audit(redemptionId, 'review', { type: 'review_resolved', data: { ...resolution } });
    },

    /**
     * The order that used a completed redemption was cancelled: the points not given back yet go back. `total` is the
     * redemption's points, when part of them went back before (absent: `points` is all of them).
     */
    async refundOrder(input: StatusStep & PointsOfRedemption & ByClient & { total?: number }): Promise<void> {
      const entry = await appendToLedger(input, 'REFUND', 'refund');
      await changeStatus(input, 'refunded', { points_refunded: input.total ?? input.points }, [entry]);
    },

    /**
     * Part of the order was cancelled. The ledger entry is named by the points given back after it (r', which only
     * grows), and the cancellation is recorded under its own key, so a step run twice gives back points once.
     */
    async refundOrderPart(input: RefundOrderPartInput): Promise<void> {
      const { redemptionId, memberId, refund, pointsRefunded } = input;
      const events: AuditEvent[] = [];
      if (refund > 0) {
        events.push(
          await appendToLedger({ redemptionId, memberId, points: refund }, 'REFUND', `refund-to:${pointsRefunded}`),
        );
      }
      events.push({
        type: 'order_partly_cancelled',
        data: {
          cancellation_id: input.cancellationId,
          points: refund,
          points_refunded: pointsRefunded,
          amount_cancelled: input.amountCancelled,
        },
      });
      const changes: RedemptionChanges = {
        points_refunded: pointsRefunded,
        amount_cancelled: input.amountCancelled,
        order_cancellations: input.cancellations,
      };
      if (input.allRefunded) await changeStatus(input, 'refunded', changes, events);
      else await audit(redemptionId, `cancel:${input.cancellationId}`, byClient(events, input.client), changes);
    },

    /** Audits an operator's action on the redemption: which, who and why. */
    async recordOperatorAction({
      redemptionId,
      action,
      note,
    }: {
      redemptionId: string;
      action: OperatorAction;
      note: OperatorNote;
    }): Promise<void> {
      await audit(redemptionId, `operator:${action}`, {
        type: 'operator_action',
        data: { action, ...auditedNote(note) },
      });
    },

    /** An order used the coupon of an immediate redemption, whose points are already paid. */
    async recordOrder({
      redemptionId,
      orderId,
      orderSubtotal,
      client,
    }: {
      redemptionId: string;
      orderId: string;
      orderSubtotal?: number;
    } & ByClient): Promise<void> {
      await audit(
        redemptionId,
        `order:${orderId}`,
        byClient([{ type: 'order_attached', data: { order_id: orderId } }], client),
        { order_id: orderId, ...(orderSubtotal !== undefined ? { order_subtotal: orderSubtotal } : {}) },
      );
    },
  };
}
