/**
 * An in-memory implementation of the saga's activities for workflow-logic tests. Every redemption gets its own
 * scenario (what the member and option look like, how the partner answers) and its own record of calls, so tests
 * sharing one worker can run side by side.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import { FailureType } from '../../domain/failures';
import type { RedemptionOption } from '../../domain/options';
import { memberIdentifierOf, type CreateRedemptionRequest, type RedemptionInput } from '../../domain/redemption';
import type { Balances } from '../../store/ledger';

/** How the partner answers one call: 2xx, a 4xx that retrying cannot fix, or a 5xx/timeout worth retrying. */
export type PartnerOutcome = 'accepted' | 'rejected' | 'unavailable';

export interface FakeScenario {
  /** The member loadRedemptionContext finds, with the points available at eligibility time; null: not found. */
  member: { id: string; points: number } | null;
  option: RedemptionOption | null;
  /** Points the ledger really has when the saga writes, when fewer than `member.points` (a concurrent spend). */
  ledgerPoints?: number;
  /** One outcome per partner call, in order; the last one repeats. Default: accepted. */
  partner?: PartnerOutcome[];
  /** voidCoupon fails for good (a non-retryable failure), as a broken coupon store would. */
  voidCouponFails?: boolean;
  /** Milliseconds a call takes, by its trail line (e.g. `ledger:CAPTURE:capture`), to hold the saga mid-step. */
  slowCalls?: Record<string, number>;
}

export type ActivityName = keyof Activities;

export interface FakeCall<N extends ActivityName = ActivityName> {
  activity: N;
  input: Parameters<Activities[N]>[0];
  /** A short line for asserting sequences, e.g. `ledger:HOLD:hold`, `status:awaiting_order`. */
  line: string;
  attempt: number;
  at: number;
}

interface RedemptionState {
  scenario: FakeScenario;
  calls: FakeCall[];
  balance: number;
  held: number;
  appliedSteps: Set<string>;
  partnerCalls: number;
}

function requestKey(request: CreateRedemptionRequest): string {
  const identifier = memberIdentifierOf(request);
  return `${identifier.field}:${identifier.value}`;
}

export class FakeActivities {
  private readonly redemptions = new Map<string, RedemptionState>();
  /** loadRedemptionContext gets only the request, so its member identifier names the redemption. */
  private readonly byRequest = new Map<string, string>();

  /** Registers the scenario of a redemption before its workflow starts; the request's identifier must be unique. */
  add(input: RedemptionInput, scenario: FakeScenario): void {
    const key = requestKey(input.request);
    if (this.byRequest.has(key)) throw new Error(`another fake redemption already uses ${key}`);
    this.byRequest.set(key, input.redemptionId);
    const points = scenario.ledgerPoints ?? scenario.member?.points ?? 0;
    this.redemptions.set(input.redemptionId, {
      scenario,
      calls: [],
      balance: points,
      held: 0,
      appliedSteps: new Set(),
      partnerCalls: 0,
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
    recordRedemption: async (input) => {
      this.record(input.redemptionId, 'recordRedemption', input, 'record');
    },

    loadRedemptionContext: async (request) => {
      const redemptionId = this.byRequest.get(requestKey(request));
      if (!redemptionId) throw unknownRedemption(requestKey(request));
      const { scenario } = this.record(redemptionId, 'loadRedemptionContext', request, 'context');
      return {
        memberId: scenario.member?.id ?? null,
        option: scenario.option,
        availablePoints: scenario.member?.points ?? 0,
      };
    },

    applyLedgerEntry: async (input) => {
      const line = `ledger:${input.type}:${input.step}`;
      const state = this.record(input.redemptionId, 'applyLedgerEntry', input, line);
      const slowMs = state.scenario.slowCalls?.[line];
      if (slowMs) await new Promise((resolve) => setTimeout(resolve, slowMs));
      if (!state.appliedSteps.has(input.step)) {
        const available = state.balance - state.held;
        if ((input.type === 'HOLD' || input.type === 'DEBIT') && available < input.points) {
          throw ApplicationFailure.create({
            type: FailureType.InsufficientPoints,
            message: `Only ${available} points are available; ${input.points} are needed.`,
            nonRetryable: true,
          });
        }
        if (input.type === 'HOLD') state.held += input.points;
        if (input.type === 'RELEASE') state.held -= input.points;
        if (input.type === 'CAPTURE') {
          state.held -= input.points;
          state.balance -= input.points;
        }
        if (input.type === 'DEBIT') state.balance -= input.points;
        if (input.type === 'REFUND') state.balance += input.points;
        state.appliedSteps.add(input.step);
      }
      return this.balances(input.redemptionId);
    },

    issueCoupon: async (input) => {
      this.record(input.redemptionId, 'issueCoupon', input, 'coupon:issued');
      return couponCodeOf(input.redemptionId);
    },

    voidCoupon: async (input) => {
      const state = this.state(input.redemptionId);
      if (state.scenario.voidCouponFails) {
        this.record(input.redemptionId, 'voidCoupon', input, 'coupon:void-failed');
        throw ApplicationFailure.create({
          type: 'CouponStoreUnavailable',
          message: 'The coupon store refused the write.',
          nonRetryable: true,
        });
      }
      this.record(input.redemptionId, 'voidCoupon', input, 'coupon:voided');
    },

    recordOrder: async (input) => {
      this.record(input.redemptionId, 'recordOrder', input, `order:${input.orderId}`);
    },

    recordStatus: async (input) => {
      this.record(input.redemptionId, 'recordStatus', input, `status:${input.status}`);
    },

    redeemWithPartner: async (input) => {
      const state = this.state(input.redemptionId);
      const outcomes = state.scenario.partner ?? ['accepted'];
      const outcome = outcomes[Math.min(state.partnerCalls, outcomes.length - 1)]!;
      state.partnerCalls += 1;
      this.record(input.redemptionId, 'redeemWithPartner', input, `partner:${input.partner}:${outcome}`);
      if (outcome === 'accepted') return { called: true, status: 200 };
      throw ApplicationFailure.create({
        type: outcome === 'rejected' ? FailureType.PartnerRejected : FailureType.PartnerUnavailable,
        message: `${input.partner} answered ${outcome === 'rejected' ? 400 : 503}`,
        nonRetryable: outcome === 'rejected',
      });
    },
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
}

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
