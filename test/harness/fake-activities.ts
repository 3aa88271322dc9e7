/**
 * An in-memory implementation of the saga's activities for workflow-logic tests. Every redemption gets its own
 * scenario (what the member and option look like, how the partner answers) and its own record of calls, so tests
 * sharing one worker can run side by side.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import { beginWithPoints } from '../../activities/redemption-steps';
import { FailureType } from '../../domain/failures';
import { limitScopes, type LimitRefusal, type LimitSlot } from '../../domain/limits';
import type { RedemptionOption } from '../../domain/options';
import type { RedemptionInput } from '../../domain/redemption';
import type { RedemptionStatus } from '../../domain/states';
import type { Balances } from '../../store/ledger';

/**
 * How the partner answers one call: 2xx, a 4xx that retrying cannot fix, a 5xx worth retrying, or no answer after the
 * request left (a timeout: the partner may have fulfilled it), or an attempt that runs until Temporal stops waiting for
 * it (as a worker that died mid-call would).
 */
export type PartnerOutcome = 'accepted' | 'rejected' | 'unavailable' | 'unknown' | 'stalled';

export interface FakeScenario {
  /** The member beginRedemption finds, with the points available at eligibility time; null: not found. */
  member: { id: string; points: number } | null;
  option: RedemptionOption | null;
  /** Points the ledger really has when the saga writes, when fewer than `member.points` (a concurrent spend). */
  ledgerPoints?: number;
  /** One outcome per partner call, in order; the last one repeats. Default: accepted. */
  partner?: PartnerOutcome[];
  /** voidCoupon fails its first attempts (retryable), as a store that is down for a while would. */
  voidCouponFailures?: number;
  /** beginRedemption fails (retryable) for this long after its first attempt, as a store that is down would. */
  storeDownMs?: number;
  /** claimLimitSlots finds no room: the limit that refuses. Default: room in every limit. */
  limitRefusal?: LimitRefusal;
  /** Milliseconds a call takes, by its trail line (e.g. `capturePoints`), to hold the saga mid-step. */
  slowCalls?: Record<string, number>;
}

export type ActivityName = keyof Activities;

export interface FakeCall<N extends ActivityName = ActivityName> {
  activity: N;
  input: Parameters<Activities[N]>[0];
  /** A short line for asserting sequences, e.g. `reservePoints:HOLD`, `partner:flavours:accepted`. */
  line: string;
  attempt: number;
  at: number;
}

interface RedemptionState {
  scenario: FakeScenario;
  calls: FakeCall[];
  balance: number;
  held: number;
  /** Ledger steps already applied, so that a repeated step has the effect of one, as the real ledger's keys do. */
  appliedSteps: Set<string>;
  partnerCalls: number;
  /** What the store would hold, for the orders workflow that reads it once the redemption's workflow has ended. */
  stored: {
    status: RedemptionStatus;
    order_id: string | null;
    version: number;
    completed_at: string | null;
    limit_slots?: LimitSlot[];
  };
}

export class FakeActivities {
  private readonly redemptions = new Map<string, RedemptionState>();

  /** Registers the scenario of a redemption before its workflow starts. */
  add(input: RedemptionInput, scenario: FakeScenario): void {
    const points = scenario.ledgerPoints ?? scenario.member?.points ?? 0;
    this.redemptions.set(input.redemptionId, {
      scenario,
      calls: [],
      balance: points,
      held: 0,
      appliedSteps: new Set(),
      partnerCalls: 0,
      stored: { status: 'pending', order_id: input.order?.order_id ?? null, version: 0, completed_at: null },
    });
  }

  /** Every activity call of the redemption, in the order the worker ran them (retried attempts included). */
  calls(redemptionId: string): FakeCall[] {
    return [...this.state(redemptionId).calls];
  }

  callsOf<N extends ActivityName>(redemptionId: string, activity: N): FakeCall<N>[] {
    return this.calls(redemptionId).filter((call): call is FakeCall<N> => call.activity === activity);
  }

  /** The calls as short lines: the sequence a test asserts. */
  trail(redemptionId: string): string[] {
    return this.calls(redemptionId).map((call) => call.line);
  }

  balances(redemptionId: string): Balances {
    const { balance, held } = this.state(redemptionId);
    return { points_balance: balance, points_held: held, points_available: balance - held };
  }

  readonly activities: Activities = {
    beginRedemption: async (input) => {
      const { scenario, calls } = await this.recordSlow(
        input.redemptionId,
        'beginRedemption',
        input,
        'beginRedemption',
      );
      if (scenario.storeDownMs !== undefined && Date.now() - calls[0]!.at < scenario.storeDownMs) {
        throw ApplicationFailure.create({ type: 'StoreUnavailable', message: 'The store is unreachable.' });
      }
      return {
        memberId: scenario.member?.id ?? null,
        option: scenario.option,
        availablePoints: scenario.member?.points ?? 0,
      };
    },

    // Both steps' fakes in turn, as the real step runs both: the trail shows beginRedemption, then reservePoints.
    beginRedemptionWithPoints: (input) =>
      beginWithPoints(input, {
        begin: (begin) => this.activities.beginRedemption(begin),
        reserve: (reserve) => this.activities.reservePointsWithLedgerHead(reserve),
      }),

    rejectRedemption: async (input) => {
      const state = this.record(input.redemptionId, 'rejectRedemption', input, 'rejectRedemption');
      this.store(state, input.version, 'rejected');
    },

    claimLimitSlots: async (input) => {
      const state = this.record(input.redemptionId, 'claimLimitSlots', input, 'claimLimitSlots');
      const refusal = state.scenario.limitRefusal;
      if (refusal) return { ok: false, reason: refusal };
      const slots = limitScopes(input.limits, input.optionId, input.memberId, new Date()).map(({ kind, scope }) => ({
        kind,
        scope,
      }));
      state.stored.limit_slots = slots;
      return { ok: true, slots };
    },

    releaseLimitSlots: async (input) => {
      this.record(input.redemptionId, 'releaseLimitSlots', input, `releaseLimitSlots:${input.cause}`);
    },

    reservePointsWithLedgerHead: async (input) => {
      const type = input.delayed ? 'HOLD' : 'DEBIT';
      const state = await this.recordSlow(input.redemptionId, 'reservePoints', input, `reservePoints:${type}`);
      this.applyOnce(state, 'reserve', () => {
        const available = state.balance - state.held;
        if (available < input.points) {
          throw ApplicationFailure.create({
            type: FailureType.InsufficientPoints,
            message: `Only ${available} points are available; ${input.points} are needed.`,
            nonRetryable: true,
          });
        }
        if (input.delayed) state.held += input.points;
        else state.balance -= input.points;
      });
      if (input.completedVersion !== undefined && !input.delayed) {
        this.store(state, input.completedVersion, 'completed', { completed_at: new Date().toISOString() });
      } else this.store(state, input.version, input.delayed ? 'awaiting_order' : 'redeeming');
      return {
        couponCode: couponCodeOf(input.redemptionId),
        ledgerHead: { seq: state.appliedSteps.size, balance_after: state.balance, held_after: state.held },
      };
    },

    reservePoints: async (input) => (await this.activities.reservePointsWithLedgerHead(input)).couponCode,

    capturePoints: async (input) => {
      const state = await this.recordSlow(input.redemptionId, 'capturePoints', input, 'capturePoints');
      this.applyOnce(state, 'capture', () => {
        state.held -= input.points;
        state.balance -= input.points;
      });
      if (input.completedVersion !== undefined) {
        this.store(state, input.completedVersion, 'completed', {
          order_id: input.orderId,
          completed_at: new Date().toISOString(),
        });
      } else this.store(state, input.version, 'redeeming', { order_id: input.orderId });
    },

    releasePoints: async (input) => {
      const state = await this.recordSlow(input.redemptionId, 'releasePoints', input, `releasePoints:${input.status}`);
      this.applyOnce(state, 'release', () => {
        state.held -= input.points;
      });
      this.store(state, input.version, input.status);
    },

    completeRedemption: async (input) => {
      const state = this.record(input.redemptionId, 'completeRedemption', input, 'completeRedemption');
      this.store(state, input.version, 'completed', { completed_at: new Date().toISOString() });
      // Without the redemption's view the decision's answer is read from the store, as after a repeated step.
      return undefined;
    },

    loadRedemptionState: async (input) => {
      const state = this.record(input.redemptionId, 'loadRedemptionState', input, 'loadRedemptionState');
      const { member, option } = state.scenario;
      return {
        ...state.stored,
        reason: null,
        coupon_code: couponCodeOf(input.redemptionId),
        member_id: member?.id ?? null,
        points: option?.cost_points ?? null,
        option,
      };
    },

    refundPoints: async (input) => {
      const state = this.record(input.redemptionId, 'refundPoints', input, 'refundPoints');
      this.applyOnce(state, 'refund', () => {
        state.balance += input.points;
      });
    },

    voidCoupon: async (input) => {
      const state = this.state(input.redemptionId);
      const failed = state.calls.filter((call) => call.line === 'voidCoupon:failed').length;
      if (failed < (state.scenario.voidCouponFailures ?? 0)) {
        this.record(input.redemptionId, 'voidCoupon', input, 'voidCoupon:failed');
        throw ApplicationFailure.create({ type: 'StoreUnavailable', message: 'The store is unreachable.' });
      }
      this.record(input.redemptionId, 'voidCoupon', input, 'voidCoupon');
    },

    markNeedsReview: async (input) => {
      const state = this.record(input.redemptionId, 'markNeedsReview', input, 'markNeedsReview');
      this.store(state, input.version, 'needs_review');
    },

    recordReviewResolution: async (input) => {
      this.record(
        input.redemptionId,
        'recordReviewResolution',
        input,
        `recordReviewResolution:${input.resolution.outcome}`,
      );
    },

    markCompensated: async (input) => {
      const state = this.record(input.redemptionId, 'markCompensated', input, 'markCompensated');
      this.store(state, input.version, 'compensated');
    },

    refundOrder: async (input) => {
      const state = this.record(input.redemptionId, 'refundOrder', input, 'refundOrder');
      this.applyOnce(state, 'refund', () => {
        state.balance += input.points;
      });
      this.store(state, input.version, 'refunded');
    },

    refundOrderPart: async (input) => {
      const state = this.record(input.redemptionId, 'refundOrderPart', input, `refundOrderPart:${input.refund}`);
      this.applyOnce(state, `refund-to:${input.pointsRefunded}`, () => {
        state.balance += input.refund;
      });
      if (input.allRefunded) this.store(state, input.version, 'refunded');
    },

    recordOperatorAction: async (input) => {
      this.record(input.redemptionId, 'recordOperatorAction', input, `recordOperatorAction:${input.action}`);
    },

    recordOrder: async (input) => {
      const state = this.record(input.redemptionId, 'recordOrder', input, `recordOrder:${input.orderId}`);
      state.stored.order_id = input.orderId;
    },

    redeemWithPartner: async (input) => {
      const state = this.state(input.redemptionId);
      const outcomes = state.scenario.partner ?? ['accepted'];
      const outcome = outcomes[Math.min(state.partnerCalls, outcomes.length - 1)]!;
      state.partnerCalls += 1;
      this.record(input.redemptionId, 'redeemWithPartner', input, `partner:${input.partner}:${outcome}`);
      if (outcome === 'accepted') return { called: true, status: 200 };
      if (outcome === 'stalled') {
        await new Promise((resolve) => setTimeout(resolve, STALLED_CALL_MS));
        return { called: true, status: 200 };
      }
      if (outcome === 'unknown') {
        throw ApplicationFailure.create({
          type: FailureType.PartnerOutcomeUnknown,
          message: `${input.partner}: timed out`,
        });
      }
      throw ApplicationFailure.create({
        type: outcome === 'rejected' ? FailureType.PartnerRejected : FailureType.PartnerUnavailable,
        message: `${input.partner} answered ${outcome === 'rejected' ? 400 : 503}`,
        nonRetryable: outcome === 'rejected',
      });
    },

    reconcileLedger: async () => notRunHere('reconcileLedger'),
    expireDuePoints: async () => notRunHere('expireDuePoints'),

    handOverDeliverectOrder: async () => notRunHere('handOverDeliverectOrder'),
    handOverDeliverectCancel: async () => notRunHere('handOverDeliverectCancel'),
    deadLetterDeliverectNotification: async () => notRunHere('deadLetterDeliverectNotification'),
  };

  private state(redemptionId: string): RedemptionState {
    const state = this.redemptions.get(redemptionId);
    if (!state) throw unknownRedemption(redemptionId);
    return state;
  }

  private record<N extends ActivityName>(
    redemptionId: string,
    activity: N,
    input: Parameters<Activities[N]>[0],
    line: string,
  ): RedemptionState {
    const state = this.state(redemptionId);
    state.calls.push({ activity, input, line, attempt: Context.current().info.attempt, at: Date.now() });
    return state;
  }

  /** Records the call, then takes as long as the scenario says this line takes. */
  private async recordSlow<N extends ActivityName>(
    redemptionId: string,
    activity: N,
    input: Parameters<Activities[N]>[0],
    line: string,
  ): Promise<RedemptionState> {
    const state = this.record(redemptionId, activity, input, line);
    const slowMs = state.scenario.slowCalls?.[line];
    if (slowMs) await new Promise((resolve) => setTimeout(resolve, slowMs));
    return state;
  }

  /** A status step as the store applies it: only over an older version. */
  private store(
    state: RedemptionState,
    version: number,
    status: RedemptionStatus,
    changes: Partial<RedemptionState['stored']> = {},
  ): void {
    if (version > state.stored.version) state.stored = { ...state.stored, ...changes, status, version };
  }

  private applyOnce(state: RedemptionState, step: string, apply: () => void): void {
    if (state.appliedSteps.has(step)) return;
    apply();
    state.appliedSteps.add(step);
  }
}

/** Longer than any fulfilment deadline a test sets, shorter than an attempt's own timeout. */
const STALLED_CALL_MS = 3_000;

export function couponCodeOf(redemptionId: string): string {
  return `CPN-${redemptionId.toUpperCase()}`;
}

/** A test that forgot to register its scenario fails at once instead of retrying forever. */
function unknownRedemption(key: string) {
  return ApplicationFailure.create({
    type: 'UnknownFakeRedemption',
    message: `No fake scenario was registered for ${key}.`,
    nonRetryable: true,
  });
}

/** An activity of another workflow than the redemption's. */
function notRunHere(activity: string): never {
  throw new Error(`The redemption workflows never run ${activity}.`);
}
