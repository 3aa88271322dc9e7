/**
 * The API's conversation with redemption workflows: start one (or join the one an idempotency key already
 * started) and wait for its decision, and send it orders and cancellations. Refusals come back as Refusal errors.
 */
import {
  isGrpcCancelledError,
  isGrpcDeadlineError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithStartDetails,
  type WorkflowStartOptions,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/env';
import type { RedemptionOption } from '../domain/options';
import {
  endsWithItsFirstStep,
  withoutIdentifiers,
  type CreateRedemptionRequest,
  type OrderCancellation,
  type OrderCapture,
  type RedemptionInput,
  type RedemptionOutcome,
} from '../domain/redemption';
import { redemptionStartSummary } from '../domain/redemption-summary';
import { OptionIdKey, RedemptionIdKey, RedemptionStatusKey } from '../domain/search-attributes';
import type { redemptionOrdersWorkflow, redemptionWorkflow } from '../workflows';
import type { RedemptionOrdersInput } from '../workflows/redemption-orders';
import {
  awaitDecisionUpdate,
  cancelOrderUpdate,
  cancelRedemptionUpdate,
  captureOrderUpdate,
  claimForOrderUpdate,
  refundRedemptionUpdate,
  releaseClaimUpdate,
} from '../workflows/messages';
import type { OperatorNote } from '../domain/operator-actions';
import { ordersWorkflowIdOf, requestHashOf, updateIdOf, workflowIdOf } from './redemption-ids';
import { refusalOf } from './workflow-refusals';

function timeout(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}

/** The update's result if it arrives within the wait, else undefined (the caller answers with what it knows). */
async function resultWithin<T>(handle: WorkflowUpdateHandle<T>, ms: number): Promise<T | undefined> {
  const pending = handle.result();
  // After a timeout nobody awaits `pending`; its later failure (say, at shutdown) must not be an unhandled rejection.
  pending.catch(() => undefined);
  const result = await Promise.race([pending, timeout(ms)]);
  return result === 'timeout' ? undefined : result;
}

/** What a redemption's workflow starts with besides the request: its option (for the summary) and its member. */
export interface RedemptionParties {
  option: RedemptionOption | null;
  /** The member the request names, or null when none has that identifier. */
  memberId: string | null;
}

export type StartResult =
  | { kind: 'decided'; outcome: RedemptionOutcome }
  | { kind: 'waiting' }
  /** The workflow already finished earlier (same idempotency key); its record in MongoDB is the answer. */
  | { kind: 'finished' };

export interface RedemptionWorkflowsOptions {
  /**
   * A worker of this process polls the redemptions' task queue over the client's connection (worker/compose.ts), so
   * that a workflow started eagerly has its first task run here, handed over in the start's answer.
   */
  workerInProcess?: boolean;
}

export class RedemptionWorkflows {
  constructor(
    private readonly client: Client,
    private readonly config: Config,
    private readonly options: RedemptionWorkflowsOptions = {},
  ) {}

  private handle(redemptionId: string) {
    return this.client.workflow.getHandle(workflowIdOf(redemptionId));
  }

  /**
   * `option` is the catalogue's entry for the request's option (null when there is none): it names the reward, its
   * points and its partner in the summary operators read in the Temporal UI, and the workflow decides on it without
   * reading it again.
   */
  private startOptions(
    redemptionId: string,
    request: CreateRedemptionRequest,
    requestHash: string,
    { option, memberId }: RedemptionParties,
    origin: { order?: OrderCapture; clientId?: string },
  ) {
    const { order, clientId } = origin;
    const input: RedemptionInput = {
      redemptionId,
      requestHash,
      request: withoutIdentifiers(request),
      memberId,
      option,
      settings: {
        couponTtlSeconds: this.config.defaultCouponTtlSeconds,
        partnerDeadlineMs: this.config.partnerRedeemDeadlineMs,
        partnerAttemptTimeoutMs: this.config.partnerCallTimeoutMs,
        partnerReconcileLimitMs: this.config.partnerReconcileLimitMs,
      },
      ...(order ? { order } : {}),
      ...(clientId !== undefined ? { clientId } : {}),
    };
    return {
      workflowId: workflowIdOf(redemptionId),
      taskQueue: this.config.temporal.taskQueue,
      args: [input] as [RedemptionInput],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: RedemptionIdKey, value: redemptionId },
        { key: RedemptionStatusKey, value: 'pending' },
        { key: OptionIdKey, value: request.redemption_option_id },
      ],
      ...redemptionStartSummary(redemptionId, request, option, order?.order_id),
    };
  }

  /**
   * Starts the redemption's workflow for the client that asked, or joins it, and waits up to REDEMPTION_SYNC_WAIT_MS
   * for its decision.
   */
  async start(
    redemptionId: string,
    request: CreateRedemptionRequest,
    requestHash: string,
    parties: RedemptionParties,
    clientId: string,
  ): Promise<StartResult> {
    const args: [{ requestHash: string }] = [{ requestHash }];
    const updateId = updateIdOf(awaitDecisionUpdate.name, args);
    const options = this.startOptions(redemptionId, request, requestHash, parties, { clientId });
    const startWorkflowOperation = () =>
      new WithStartWorkflowOperation<typeof redemptionWorkflow>('redemptionWorkflow', options);
    if (this.options.workerInProcess && endsWithItsFirstStep(request, parties.option)) {
      const started = await this.startedEagerly(options);
      if (started) return started;
    }
    const decided = await this.decidedWithStart(updateId, args, startWorkflowOperation());
    if (decided) return decided;
    // Not decided within the wait. The same update again (Temporal knows it by its id) answers once it is accepted, so
    // that the caller is told to poll only for a redemption whose workflow runs.
    try {
      await this.client.workflow.startUpdateWithStart(awaitDecisionUpdate, {
        args,
        updateId,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
        startWorkflowOperation: startWorkflowOperation(),
      });
      return { kind: 'waiting' };
    } catch (error) {
      return finishedOrThrow(error);
    }
  }

  /**
   * The decision of a redemption started (or joined) together with the update that waits for it, or undefined when it
   * has not come within REDEMPTION_SYNC_WAIT_MS.
   */
  private async decidedWithStart(
    updateId: string,
    args: [{ requestHash: string }],
    startWorkflowOperation: WithStartWorkflowOperation<typeof redemptionWorkflow>,
  ): Promise<StartResult | undefined> {
    try {
      // Most redemptions are decided in their first workflow task: one request, which Temporal answers with the
      // decision, rather than one answered on acceptance and a second one polling for the decision.
      const outcome = await this.client.withDeadline(Date.now() + this.config.redemptionSyncWaitMs, () =>
        this.client.workflow.executeUpdateWithStart(awaitDecisionUpdate, { args, updateId, startWorkflowOperation }),
      );
      return { kind: 'decided', outcome };
    } catch (error) {
      if (!(error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) return finishedOrThrow(error);
      return undefined;
    }
  }

  /**
   * A redemption whose workflow ends with its first step, started eagerly: a worker of this process runs that step as
   * soon as Temporal answers the start, without a round through the task queue, and the workflow's result is the
   * decision (see finish()). Undefined when this request did not start it here (a run under this Idempotency-Key
   * already runs, or no worker slot was free): the update then judges the request and answers.
   */
  private async startedEagerly(
    options: WorkflowStartOptions<typeof redemptionWorkflow>,
  ): Promise<StartResult | undefined> {
    let handle: WorkflowHandleWithStartDetails<typeof redemptionWorkflow>;
    try {
      handle = await this.client.workflow.start('redemptionWorkflow', { ...options, requestEagerStart: true });
    } catch (error) {
      return finishedOrThrow(error);
    }
    if (!handle.eagerlyStarted) return undefined;
    try {
      const outcome = await this.client.withDeadline(Date.now() + this.config.redemptionSyncWaitMs, () =>
        handle.result(),
      );
      return { kind: 'decided', outcome };
    } catch (error) {
      // Not decided within the wait (the SDK core's connection says CANCELLED, "Timeout expired"): it runs, and the
      // caller polls. Ended otherwise (an operator terminated it): its record in the store is the answer.
      if (isGrpcDeadlineError(error) || isGrpcCancelledError(error)) return { kind: 'waiting' };
      if (error instanceof WorkflowFailedError) return { kind: 'finished' };
      throw error;
    }
  }

  /**
   * Starts the workflow of a redemption that comes with its order, without waiting for it; a duplicate delivery finds
   * the same workflow (running or finished) and starts nothing.
   */
  async startWithOrder(
    redemptionId: string,
    request: CreateRedemptionRequest,
    order: OrderCapture,
    parties: RedemptionParties,
  ): Promise<void> {
    try {
      await this.client.workflow.start(
        'redemptionWorkflow',
        this.startOptions(redemptionId, request, requestHashOf(request), parties, { order }),
      );
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  /**
   * Hands a whole-order cancellation over for good: true once the redemption's own workflow has accepted it (it is in
   * that workflow's history, and refunds once the redemption settles) or its orders workflow has answered it; false
   * when that answer has not come within the wait (the same cancellation again refunds nothing twice).
   */
  handOverOrderCancellation(redemptionId: string, orderId: string): Promise<boolean> {
    return this.orderEvent(
      redemptionId,
      cancelOrderUpdate,
      [{ order_id: orderId }],
      async ({ handle, inOwnWorkflow }) =>
        inOwnWorkflow || (await resultWithin(handle, this.config.redemptionSyncWaitMs)) !== undefined,
    );
  }

  /** Sends an order to the redemption; resolves with its outcome, or undefined while fulfilment is still running. */
  captureOrder(redemptionId: string, capture: OrderCapture): Promise<RedemptionOutcome | undefined> {
    return this.orderEvent(redemptionId, captureOrderUpdate, [capture], this.outcomeWithin);
  }

  /** Holds the coupon for the order until it is captured or released (see claimForOrderUpdate); refusals as Refusals. */
  async claimForOrder(redemptionId: string, capture: OrderCapture): Promise<void> {
    await this.orderEvent(redemptionId, claimForOrderUpdate, [capture], this.outcomeWithin);
  }

  async releaseClaim(redemptionId: string, orderId: string): Promise<void> {
    await this.orderEvent(redemptionId, releaseClaimUpdate, [{ order_id: orderId }], this.outcomeWithin);
  }

  /** Cancels the redemption for the API client that asked. */
  cancelRedemption(redemptionId: string, clientId: string): Promise<RedemptionOutcome | undefined> {
    const args: [{ client: string }] = [{ client: clientId }];
    return this.ownWorkflowOutcome(redemptionId, updateIdOf(cancelRedemptionUpdate.name, args), (handle, updateId) =>
      handle.startUpdate(cancelRedemptionUpdate, { args, updateId, waitForStage: WorkflowUpdateStage.ACCEPTED }),
    );
  }

  /** An operator's action on the redemption's own workflow (release a hold, resolve a review); see messages.ts. */
  operatorUpdate<Arg>(redemptionId: string, update: UpdateDefinition<RedemptionOutcome, [Arg]>, arg: Arg) {
    return this.ownWorkflowOutcome(redemptionId, updateIdOf(update.name, [arg]), (handle, updateId) =>
      handle.startUpdate(update, { args: [arg], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED }),
    );
  }

  /** An update started on the redemption's own workflow: its outcome if it comes within REDEMPTION_SYNC_WAIT_MS. */
  private ownWorkflowOutcome(
    redemptionId: string,
    updateId: string,
    start: (handle: WorkflowHandle, updateId: string) => Promise<WorkflowUpdateHandle<RedemptionOutcome>>,
  ): Promise<RedemptionOutcome | undefined> {
    return this.refusalsMapped(redemptionId, () =>
      askedAgainWhenRefused(updateId, async (id) =>
        resultWithin(await start(this.handle(redemptionId), id), this.config.redemptionSyncWaitMs),
      ),
    );
  }

  /** An operator's refund: to the redemption's workflow while it runs, else to its orders workflow. */
  refundRedemption(redemptionId: string, note: OperatorNote): Promise<RedemptionOutcome | undefined> {
    return this.orderEvent(redemptionId, refundRedemptionUpdate, [note], this.outcomeWithin);
  }

  /** The order was cancelled, in whole or in part (see cancelOrderUpdate). */
  cancelOrder(redemptionId: string, cancellation: OrderCancellation): Promise<RedemptionOutcome | undefined> {
    return this.orderEvent(redemptionId, cancelOrderUpdate, [cancellation], this.outcomeWithin);
  }

  /**
   * An order event goes to the redemption's workflow while it runs, and once that has ended to the redemption's orders
   * workflow, started with the event (or joined, when another event for the same redemption is being handled). A run
   * that ends just as an event joins it drops the event; the event is then sent again, and the workflows' steps make
   * a repeated event change nothing.
   */
  private async orderEvent<Args extends OrderEventArgs, T>(
    redemptionId: string,
    update: UpdateDefinition<RedemptionOutcome, Args>,
    args: Args,
    settle: (started: StartedOrderEvent) => Promise<T>,
  ): Promise<T> {
    return this.refusalsMapped(redemptionId, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await askedAgainWhenRefused(updateIdOf(update.name, args), async (updateId) =>
            settle(await this.startOrderEvent(redemptionId, update, args, updateId)),
          );
        } catch (error) {
          if (!isClosedWorkflowError(error) || attempt === ORDER_EVENT_ATTEMPTS) throw error;
        }
      }
    });
  }

  /** An order event's outcome, if it comes within REDEMPTION_SYNC_WAIT_MS. */
  private readonly outcomeWithin = ({ handle }: StartedOrderEvent) =>
    resultWithin(handle, this.config.redemptionSyncWaitMs);

  private async startOrderEvent<Args extends OrderEventArgs>(
    redemptionId: string,
    update: UpdateDefinition<RedemptionOutcome, Args>,
    args: Args,
    updateId: string,
  ): Promise<StartedOrderEvent> {
    try {
      const handle = await this.handle(redemptionId).startUpdate(update, {
        args,
        updateId,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      return { handle, inOwnWorkflow: true };
    } catch (error) {
      if (!isClosedWorkflowError(error)) throw error;
    }
    const input: RedemptionOrdersInput = {
      redemptionId,
      orderRefundWindowSeconds: this.config.orderRefundWindowSeconds,
    };
    const handle = await this.client.workflow.startUpdateWithStart(update, {
      args,
      updateId,
      waitForStage: WorkflowUpdateStage.ACCEPTED,
      startWorkflowOperation: new WithStartWorkflowOperation<typeof redemptionOrdersWorkflow>(
        'redemptionOrdersWorkflow',
        {
          workflowId: ordersWorkflowIdOf(redemptionId),
          taskQueue: this.config.temporal.taskQueue,
          args: [input],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: [{ key: RedemptionIdKey, value: redemptionId }],
          staticSummary: `Order events of redemption ${redemptionId}, opened as ${ORDER_EVENT_NAMES[update.name] ?? update.name}`,
        },
      ),
    });
    return { handle, inOwnWorkflow: false };
  }

  /**
   * A refusal becomes its Refusal; a finished workflow throws WorkflowClosedError, and the caller decides from the
   * stored record. A validator's refusal can surface from starting the update or from its result, so both are covered.
   */
  private async refusalsMapped<T>(redemptionId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isClosedWorkflowError(error)) throw new WorkflowClosedError(redemptionId);
      throw refusalOf(error) ?? error;
    }
  }
}

const ORDER_EVENT_ATTEMPTS = 5;

/** An order event accepted by the redemption's own workflow, or by its orders workflow once that one has ended. */
interface StartedOrderEvent {
  handle: WorkflowUpdateHandle<RedemptionOutcome>;
  inOwnWorkflow: boolean;
}

/**
 * Runs an update under the id of its request, so that the same request sent again joins it (see updateIdOf). A
 * refusal kept under that id may be from an earlier state of the redemption, so a refused request is asked once more
 * under an id of its own, and the workflow judges it as it stands now.
 */
async function askedAgainWhenRefused<T>(updateId: string, run: (updateId: string) => Promise<T>): Promise<T> {
  try {
    return await run(updateId);
  } catch (error) {
    if (!(error instanceof WorkflowUpdateFailedError)) throw error;
    return run(`${updateId}-${randomUUID()}`);
  }
}

type OrderEventArgs = [OrderCapture] | [{ order_id: string }] | [OrderCancellation] | [OperatorNote];

/** How the orders workflow's summary names the event that started it. */
const ORDER_EVENT_NAMES: Record<string, string> = {
  [captureOrderUpdate.name]: 'an order uses its coupon',
  [claimForOrderUpdate.name]: 'an order holds its coupon',
  [releaseClaimUpdate.name]: 'an order lets go of its coupon',
  [cancelOrderUpdate.name]: 'its order is cancelled',
};

export class WorkflowClosedError extends Error {
  constructor(readonly redemptionId: string) {
    super(`The workflow of redemption ${redemptionId} has finished.`);
  }
}

/**
 * A redemption's workflow that ended before (a repeated request), or ended as this request joined it: its stored
 * record is the answer. Any other failure is thrown, as a Refusal when it is one.
 */
function finishedOrThrow(error: unknown): StartResult {
  if (error instanceof WorkflowExecutionAlreadyStartedError || isClosedWorkflowError(error))
    return { kind: 'finished' };
  throw refusalOf(error) ?? error;
}

/** The client answers an update sent to a finished workflow with WorkflowNotFoundError ("already completed"). */
function isClosedWorkflowError(error: unknown): boolean {
  return error instanceof WorkflowNotFoundError;
}
