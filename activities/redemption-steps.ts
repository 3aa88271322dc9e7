/** The redemption saga's MongoDB steps. Each is idempotent: its key comes from the redemption id and the step. */
import { ApplicationFailure } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { couponCodeFromRandomBytes } from '../domain/coupon';
import { FailureType } from '../domain/failures';
import type { RedemptionOption } from '../domain/options';
import { memberIdentifierOf, type CreateRedemptionRequest } from '../domain/redemption';
import type { RedemptionStatus } from '../domain/states';
import {
  InsufficientPointsError,
  Ledger,
  LedgerContentionError,
  balancesOf,
  type Balances,
  type LedgerType,
} from '../store/ledger';
import { Members } from '../store/members';
import { Options } from '../store/options';
import { Redemptions, type RedemptionChanges } from '../store/redemptions';
import { maskRequest } from './masking';

export interface RecordRedemptionInput {
  redemptionId: string;
  requestHash: string;
  request: CreateRedemptionRequest;
}

export interface RedemptionContext {
  memberId: string | null;
  option: RedemptionOption | null;
  availablePoints: number;
}

export interface LedgerStepInput {
  redemptionId: string;
  memberId: string;
  type: LedgerType;
  points: number;
  /** Names the step within the redemption, e.g. `debit`, `refund`; with the id it is the idempotency key. */
  step: string;
}

export interface StatusChangeInput {
  redemptionId: string;
  status: RedemptionStatus;
  changes?: RedemptionChanges;
  note?: Record<string, unknown>;
}

export function createRedemptionSteps(db: Db) {
  const ledger = new Ledger(db);
  const members = new Members(db);
  const options = new Options(db);
  const redemptions = new Redemptions(db);

  return {
    async recordRedemption({ redemptionId, requestHash, request }: RecordRedemptionInput): Promise<void> {
      const now = new Date();
      await redemptions.createIfMissing({
        _id: redemptionId,
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
        updated_at: now,
      });
      await redemptions.appendEvent(redemptionId, `${redemptionId}:requested`, {
        type: 'requested',
        status: 'pending',
        data: { request: maskRequest(request) },
      });
    },

    async loadRedemptionContext(request: CreateRedemptionRequest): Promise<RedemptionContext> {
      const [member, option] = await Promise.all([
        members.findByIdentifier(memberIdentifierOf(request)),
        options.get(request.redemption_option_id),
      ]);
      const availablePoints = member ? (await ledger.balances(member._id)).points_available : 0;
      return { memberId: member?._id ?? null, option, availablePoints };
    },

    async applyLedgerEntry(input: LedgerStepInput): Promise<Balances> {
      const key = `${input.redemptionId}:${input.step}`;
      try {
        const { entry } = await ledger.append({
          memberId: input.memberId,
          type: input.type,
          points: input.points,
          idempotencyKey: key,
          redemptionId: input.redemptionId,
        });
        await redemptions.appendEvent(input.redemptionId, key, {
          type: 'ledger',
          data: {
            entry: input.type,
            points: input.points,
            balance_after: entry.balance_after,
            held_after: entry.held_after,
          },
        });
        return balancesOf(entry);
      } catch (error) {
        if (error instanceof InsufficientPointsError) {
          throw ApplicationFailure.create({
            type: FailureType.InsufficientPoints,
            message: error.message,
            nonRetryable: true,
          });
        }
        if (error instanceof LedgerContentionError) {
          throw ApplicationFailure.create({ type: FailureType.LedgerContention, message: error.message });
        }
        throw error;
      }
    },

    async issueCoupon({ redemptionId }: { redemptionId: string }): Promise<string> {
      return redemptions.issueCoupon(redemptionId, () => couponCodeFromRandomBytes(() => randomBytes(24)));
    },

    async voidCoupon({ redemptionId }: { redemptionId: string }): Promise<void> {
      await redemptions.voidCoupon(redemptionId);
      await redemptions.appendEvent(redemptionId, `${redemptionId}:coupon-void`, { type: 'coupon_voided' });
    },

    async recordOrder({ redemptionId, orderId }: { redemptionId: string; orderId: string }): Promise<void> {
      await redemptions.update(redemptionId, { order_id: orderId });
      await redemptions.appendEvent(redemptionId, `${redemptionId}:order:${orderId}`, {
        type: 'order_attached',
        data: { order_id: orderId },
      });
    },

    async recordStatus({ redemptionId, status, changes, note }: StatusChangeInput): Promise<void> {
      await redemptions.update(redemptionId, { ...changes, status });
      await redemptions.appendEvent(redemptionId, `${redemptionId}:status:${status}`, {
        type: 'status',
        status,
        ...(Object.keys({ ...changes, ...note }).length > 0 ? { data: { ...changes, ...note } } : {}),
      });
    },
  };
}
