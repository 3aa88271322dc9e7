/**
 * Deliverect asks which programmes a member can use on a basket: every live option, marked applicable when the member
 * has the points, the basket meets the option's rules, and the option's limits have room for the member now.
 */
import type { Db } from 'mongodb';
import {
  customerIdentifierOf,
  loyaltyProgramsFor,
  type LoyaltyProgram,
  type LoyaltyProgramsRequest,
} from '../domain/deliverect';
import type { LimitRefusal } from '../domain/limits';
import type { RedemptionOption } from '../domain/options';
import { Ledger } from '../store/ledger';
import { LimitUsage } from '../store/limit-usage';
import { Members } from '../store/members';
import { Options } from '../store/options';

export class LoyaltyPrograms {
  private readonly members: Members;
  private readonly options: Options;
  private readonly ledger: Ledger;
  private readonly usage: LimitUsage;

  constructor(deps: { db: Db }) {
    this.members = new Members(deps.db);
    this.options = new Options(deps.db);
    this.ledger = new Ledger(deps.db);
    this.usage = new LimitUsage(deps.db);
  }

  /** The member's programmes for the basket; none for a customer who is not a member. */
  async forBasket(request: LoyaltyProgramsRequest): Promise<LoyaltyProgram[]> {
    const member = await this.members.findByIdentifier(customerIdentifierOf(request.order));
    if (!member) return [];
    const now = new Date();
    const [{ points_available }, options] = await Promise.all([this.ledger.balances(member._id), this.options.all()]);
    const limitsReached = await this.limitsReached(options, member._id, now);
    return loyaltyProgramsFor(options, request, { availablePoints: points_available, limitsReached }, now);
  }

  private async limitsReached(options: RedemptionOption[], memberId: string, at: Date) {
    const reached = new Map<number, LimitRefusal>();
    for (const option of options) {
      const [refusal] = option.limits ? await this.usage.refusalsFor(option.limits, option.id, memberId, at) : [];
      if (refusal) reached.set(option.id, refusal);
    }
    return reached;
  }
}
