/**
 * A quote before redeeming: whether Create Redemption would go through now with this body, what it would cost and
 * leave, and every reason it would be refused for, in Create Redemption's codes. It reads only: no ledger entry, no
 * limit slot, no workflow.
 */
import type { Db } from 'mongodb';
import { judgeEligibility } from '../domain/eligibility';
import type { CreateRedemptionRequest } from '../domain/redemption';
import type { RejectionReason } from '../domain/states';
import { Ledger } from '../store/ledger';
import { LimitUsage } from '../store/limit-usage';
import type { Catalogue } from './catalogue';
import { partiesOf } from './redemption-parties';

export interface RedemptionQuote {
  eligible: boolean;
  /** What the redemption costs; null when the option is unknown or the request's points are not valid for it. */
  points: number | null;
  /** The member's available points now; null when no member matches. */
  points_available: number | null;
  /** What the member would have left once redeemed; null when the redemption would be refused. */
  points_available_after: number | null;
  reasons: RejectionReason[];
}

export class RedemptionQuotes {
  private readonly ledger: Ledger;
  private readonly usage: LimitUsage;

  constructor(private readonly deps: { db: Db; catalogue: Catalogue }) {
    this.ledger = new Ledger(deps.db);
    this.usage = new LimitUsage(deps.db);
  }

  async quote(request: CreateRedemptionRequest): Promise<RedemptionQuote> {
    const now = new Date();
    const { option, memberId } = await partiesOf(this.deps, request);
    const available = memberId ? (await this.ledger.balances(memberId)).points_available : null;
    const judged = judgeEligibility({
      memberFound: memberId !== null,
      option,
      currency: request.currency,
      pointRedemptions: request.point_redemptions,
      availablePoints: available ?? 0,
      now,
    });
    const limitRefusals =
      option?.limits && memberId ? await this.usage.refusalsFor(option.limits, option.id, memberId, now) : [];
    const reasons = [...judged.reasons, ...limitRefusals];
    const points = judged.points ?? null;
    const eligible = reasons.length === 0;
    return {
      eligible,
      points,
      points_available: available,
      points_available_after: eligible && available !== null && points !== null ? available - points : null,
      reasons,
    };
  }
}
