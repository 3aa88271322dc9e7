/**
 * What callers may do to an existing redemption: cancel it while it awaits its order, and the operators' actions
 * (release a hold now, refund a completed redemption, resolve one in needs_review). The redemption's workflow decides;
 * once it has ended, the stored redemption says why an action no longer applies.
 */
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { RedemptionWorkflows, WorkflowClosedError } from './redemption-workflows';
import type { Config } from '../config/env';
import { Refusal } from '../domain/failures';
import type { OperatorAction, OperatorNote } from '../domain/operator-actions';
import type { ReviewOutcome } from '../domain/review';
import type { Caller } from '../domain/scopes';
import { mayRead } from './redemptions';
import { Redemptions, type RedemptionDocument } from '../store/redemptions';
import { releaseHoldUpdate, resolveReviewUpdate } from '../workflows/messages';

export interface ActionInput {
  reason?: string;
  outcome?: ReviewOutcome;
}

export class RedemptionActions {
  private readonly redemptions: Redemptions;
  private readonly workflows: RedemptionWorkflows;

  constructor(deps: { db: Db; temporal: Client; config: Config }) {
    this.redemptions = new Redemptions(deps.db);
    this.workflows = new RedemptionWorkflows(deps.temporal, deps.config);
  }

  /** The redemption, if the caller may act on it: another client's is as unknown as a missing one. */
  private async existing(id: string, caller: Caller): Promise<RedemptionDocument> {
    const document = await this.redemptions.getConfirmed(id);
    if (!document || !mayRead(caller, document)) throw new Refusal('not_found', `Redemption ${id} was not found.`);
    return document;
  }

  /** Cancels a redemption awaiting its order; cancelling a cancelled one again is fine. */
  async cancel(id: string, caller: Caller): Promise<RedemptionDocument> {
    const document = await this.existing(id, caller);
    try {
      await this.workflows.cancelRedemption(id, caller.client);
    } catch (error) {
      if (!(error instanceof WorkflowClosedError)) throw error;
      if (document.status !== 'cancelled') {
        throw new Refusal(
          'redemption_not_cancellable',
          `Only a redemption awaiting its order can be cancelled; this one is ${document.status}.`,
        );
      }
    }
    return (await this.redemptions.getConfirmed(id))!;
  }

  /** An operator's action, audited as `operator` (the API client) with the reason given. */
  async operate(id: string, action: OperatorAction, input: ActionInput, caller: Caller): Promise<RedemptionDocument> {
    const document = await this.existing(id, caller);
    const note: OperatorNote = { operator: caller.client, ...(input.reason ? { reason: input.reason } : {}) };
    try {
      if (action === 'release') await this.workflows.operatorUpdate(id, releaseHoldUpdate, note);
      if (action === 'refund') await this.workflows.refundRedemption(id, note);
      // The workflow's validators refuse what does not apply, and an input the action needs but lacks.
      if (action === 'resolve') {
        await this.workflows.operatorUpdate(id, resolveReviewUpdate, { ...note, outcome: input.outcome! });
      }
    } catch (error) {
      if (!(error instanceof WorkflowClosedError)) throw error;
      // The workflow has ended, so the redemption is final: nothing is held and nothing waits for review.
      const code = action === 'release' ? 'redemption_not_releasable' : 'redemption_not_in_review';
      throw new Refusal(code, `This redemption is ${document.status}: there is nothing to ${action}.`);
    }
    return (await this.redemptions.getConfirmed(id))!;
  }
}
