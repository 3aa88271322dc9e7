/**
 * Redemptions as use cases: Create Redemption (the redemption's id from the client's Idempotency-Key, its workflow, its
 * answer), and reading one with its audit trail or a filtered page of them.
 */
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import { Refusal } from '../domain/failures';
import type { CreateRedemptionRequest } from '../domain/redemption';
import { readsEveryRedemption, type Caller } from '../domain/scopes';
import { answeredWithWholeView, toRedemptionView, type DecidedRedemption } from '../domain/redemption-view';
import { isDecided, type RedemptionStatus } from '../domain/states';
import { Redemptions, type RedemptionDocument, type RedemptionFilter } from '../store/redemptions';
import type { Catalogue } from './catalogue';
import { partiesOf } from './redemption-parties';
import { RedemptionWorkflows } from './redemption-workflows';
import { redemptionIdFor, requestHashOf } from './redemption-ids';

export type CreateResult =
  | { kind: 'decided'; redemption: DecidedRedemption }
  /** Not decided within REDEMPTION_SYNC_WAIT_MS (or in needs_review): the caller polls. */
  | { kind: 'waiting'; id: string; status: RedemptionStatus };

export class RedemptionDesk {
  private readonly redemptions: Redemptions;
  private readonly workflows: RedemptionWorkflows;

  constructor(
    private readonly deps: {
      db: Db;
      temporal: Client;
      config: Config;
      catalogue: Catalogue;
      workerInProcess?: boolean;
    },
  ) {
    this.redemptions = new Redemptions(deps.db);
    this.workflows = new RedemptionWorkflows(deps.temporal, deps.config, { workerInProcess: deps.workerInProcess });
  }

  /**
   * Starts the redemption, or joins the one its client's Idempotency-Key already started, and waits for its decision.
   * The same key with another body is refused, whether the first request is still running (its workflow refuses) or
   * has finished (its stored request hash does).
   */
  async create(clientId: string, idempotencyKey: string | undefined, request: CreateRedemptionRequest) {
    const id = redemptionIdFor(clientId, idempotencyKey);
    const requestHash = requestHashOf(request);
    const sameRequest = (document: RedemptionDocument) => {
      if (document.request_hash !== requestHash) {
        throw new Refusal(
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different request body.',
        );
      }
      return document;
    };

    const earlier = idempotencyKey ? await this.redemptions.get(id) : null;
    if (earlier && isDecided(sameRequest(earlier).status)) return decided(toRedemptionView(earlier));

    const parties = await partiesOf(this.deps, request);
    const started = await this.workflows.start(id, request, requestHash, parties, clientId);
    // The workflow refused another body under this key, so its decision is this request's.
    if (started.kind === 'decided') {
      const { redemption, id: decidedId, status, reason } = started.outcome;
      if (redemption) return decided(redemption);
      if (!answeredWithWholeView(status)) return decided({ id: decidedId, status, reason });
    }
    const document = await this.redemptions.get(id);
    if (!document || started.kind === 'waiting') {
      return { kind: 'waiting', id, status: document?.status ?? 'pending' } satisfies CreateResult;
    }
    return decided(toRedemptionView(sameRequest(document)));
  }

  /**
   * The redemption with its audit trail, oldest event first; null when there is none with that id that the caller may
   * read (another client's is as unknown as a missing one).
   */
  async withEvents(id: string, caller: Caller) {
    const document = await this.redemptions.getWithEvents(id);
    return document && mayRead(caller, document) ? document : null;
  }

  /** A page of the redemptions the caller may read: its own, or every one for an operator. */
  list(caller: Caller, filter: RedemptionFilter, page: { skip: number; limit: number; sort: Record<string, 1 | -1> }) {
    const own = readsEveryRedemption(caller) ? {} : { client_id: caller.client };
    return this.redemptions.list({ ...filter, ...own }, page);
  }
}

function decided(redemption: DecidedRedemption): CreateResult {
  return { kind: 'decided', redemption };
}

/**
 * A client reads the redemptions it created; an operator reads every one, those of partners and those stored before
 * redemptions had an owner included.
 */
export function mayRead(caller: Caller, redemption: Pick<RedemptionDocument, 'client_id'>): boolean {
  return readsEveryRedemption(caller) || (redemption.client_id ?? null) === caller.client;
}
