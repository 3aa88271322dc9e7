/**
 * The redemption saga's logic, branch by branch, on a real worker and Temporal server with fake activities: each
 * test scripts the member, option and partner, then asserts the outcome, the activity calls in order and the
 * search attributes operators see.
 */
import {
  WithStartWorkflowOperation,
  WorkflowIdConflictPolicy,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateRedemptionRequest, RedemptionInput, RedemptionSettings } from '../../domain/redemption';
import {
  CouponCodeKey,
  MemberIdKey,
  OptionIdKey,
  PartnerKey,
  RedemptionStatusKey,
} from '../../domain/search-attributes';
import type { ReviewResolution } from '../../domain/review';
import type { RejectionReason } from '../../domain/states';
import type { MongoHandle } from '../../store/connect';
import type { redemptionWorkflow } from '../../workflows';
import {
  awaitDecisionUpdate,
  cancelRedemptionUpdate,
  captureOrderUpdate,
  redemptionStatusQuery,
  resolveReviewUpdate,
} from '../../workflows/messages';
import type { Refusal } from '../../domain/failures';
import { RedemptionWorkflows, WorkflowClosedError } from '../../application/redemption-workflows';
import { ordersWorkflowIdOf } from '../../application/redemption-ids';
import type { Config } from '../../config/env';
import { couponCodeOf, FakeActivities, type FakeScenario } from '../harness/fake-activities';
import { catalogueOption } from '../harness/fixtures';
import { connectTestClient, startTestWorker, testConfig, uniqueName, type RunningWorker } from '../harness/stack';

const OPTION_ID = 7;
const MEMBER_ID = 'mbr-fake';

type RedemptionHandle = WorkflowHandle<typeof redemptionWorkflow>;

const optionOf = (input: Record<string, unknown> = {}) => catalogueOption(OPTION_ID, input);

const variableOption = () =>
  optionOf({ type: 'variable', cost_points: undefined, item_plu: undefined, points_per_unit: 50, unit_value: 100 });

/** The refusal an update validator raised: WorkflowUpdateFailedError whose cause is a typed ApplicationFailure. */
async function refusalOf(update: Promise<unknown>): Promise<string | null | undefined> {
  const error = await update.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).type;
}

async function searchAttributesOf(handle: RedemptionHandle) {
  const attributes = (await handle.describe()).typedSearchAttributes;
  return {
    status: attributes.get(RedemptionStatusKey),
    memberId: attributes.get(MemberIdKey),
    couponCode: attributes.get(CouponCodeKey),
    partner: attributes.get(PartnerKey),
    optionId: attributes.get(OptionIdKey),
  };
}

/** What the Temporal UI shows as the workflow's current details (the SDK's built-in metadata query). */
async function currentDetailsOf(handle: RedemptionHandle): Promise<string | null | undefined> {
  const metadata = await handle.query<{ currentDetails?: string | null }>('__temporal_workflow_metadata');
  return metadata.currentDetails;
}

describe.concurrent('redemption workflow with fake activities', () => {
  let client: Client;
  let worker: RunningWorker;
  let taskQueue: string;
  let config: Config;
  const fake = new FakeActivities();

  beforeAll(async () => {
    config = testConfig();
    taskQueue = config.temporal.taskQueue;
    client = await connectTestClient(config);
    // The fakes never touch MongoDB, so the worker gets no connection to one.
    worker = await startTestWorker(config, {} as MongoHandle, { activities: fake.activities });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  function redemptionInput(
    scenario: FakeScenario,
    request: Partial<CreateRedemptionRequest>,
    settings: Partial<RedemptionSettings>,
  ): RedemptionInput {
    const redemptionId = uniqueName('rdm');
    const input: RedemptionInput = {
      redemptionId,
      requestHash: `hash-of-${redemptionId}`,
      request: {
        customer_email: `${redemptionId}@example.com`,
        redemption_option_id: OPTION_ID,
        delay_points_deduction: false,
        ...request,
      },
      settings: {
        couponTtlSeconds: 60,
        partnerDeadlineMs: 10_000,
        partnerAttemptTimeoutMs: 500,
        partnerReconcileLimitMs: 10_000,
        ...settings,
      },
    };
    fake.add(input, scenario);
    return input;
  }

  async function startRedemption(
    scenario: FakeScenario,
    request: Partial<CreateRedemptionRequest> = {},
    settings: Partial<RedemptionSettings> = {},
  ) {
    const input = redemptionInput(scenario, request, settings);
    const redemptionId = input.redemptionId;
    const handle: RedemptionHandle = await client.workflow.start<typeof redemptionWorkflow>('redemptionWorkflow', {
      taskQueue,
      workflowId: `redemption-${redemptionId}`,
      args: [input],
    });
    // A workflow that has already ended answers with its result, as the API answers from the stored redemption.
    const decision = () =>
      handle
        .executeUpdate(awaitDecisionUpdate, { args: [{ requestHash: input.requestHash }] })
        .catch((error: unknown) => {
          if (error instanceof WorkflowNotFoundError) return handle.result();
          throw error;
        });
    return { id: redemptionId, input, handle, decision, coupon: couponCodeOf(redemptionId) };
  }

  /** Starts a redemption as Create Redemption does, with its decision update (update-with-start), and awaits it. */
  async function redeemAsTheApiDoes(scenario: FakeScenario, request: Partial<CreateRedemptionRequest> = {}) {
    const input = redemptionInput(scenario, request, {});
    const workflowId = `redemption-${input.redemptionId}`;
    const decision = await client.workflow.executeUpdateWithStart(awaitDecisionUpdate, {
      args: [{ requestHash: input.requestHash }],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof redemptionWorkflow>('redemptionWorkflow', {
        taskQueue,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      }),
    });
    return { decision, handle: client.workflow.getHandle<typeof redemptionWorkflow>(workflowId) };
  }

  const member = (points = 500) => ({ id: MEMBER_ID, points });

  /** The API's own routing of updates: to the redemption's workflow while it runs, else to its orders workflow. */
  const routing = (orderRefundWindowSeconds = 30) =>
    new RedemptionWorkflows(client, { ...config, orderRefundWindowSeconds });
  const refusalCodeOf = (attempt: Promise<unknown>) =>
    attempt.then(
      () => undefined,
      (error: unknown) => (error as Refusal).code,
    );

  describe('rejection at eligibility, before any ledger entry', () => {
    const cases: { reason: RejectionReason; scenario: FakeScenario; request?: Partial<CreateRedemptionRequest> }[] = [
      { reason: 'member_not_found', scenario: { member: null, option: optionOf() } },
      { reason: 'option_not_found', scenario: { member: member(), option: null } },
      { reason: 'option_inactive', scenario: { member: member(), option: optionOf({ active: false }) } },
      { reason: 'insufficient_points', scenario: { member: member(99), option: optionOf() } },
      {
        reason: 'invalid_points',
        scenario: { member: member(), option: optionOf() },
        request: { point_redemptions: 150 },
      },
      { reason: 'points_required', scenario: { member: member(), option: variableOption() } },
      {
        reason: 'currency_not_supported',
        scenario: { member: member(), option: optionOf() },
        request: { currency: 'KWD' },
      },
    ];

    it.each(cases)('rejects with $reason and writes nothing to the ledger', async ({ reason, scenario, request }) => {
      const redemption = await startRedemption(scenario, request);
      expect(await redemption.handle.result()).toEqual({
        id: redemption.id,
        status: 'rejected',
        reason,
        coupon_code: null,
        order_id: null,
      });
      expect(fake.trail(redemption.id)).toEqual(['beginRedemption', 'rejectRedemption']);
      const memberId = scenario.member ? MEMBER_ID : undefined;
      expect(fake.callsOf(redemption.id, 'rejectRedemption')[0]!.input).toEqual({
        redemptionId: redemption.id,
        version: 1,
        reason,
        memberId: memberId ?? null,
      });
      expect(await searchAttributesOf(redemption.handle)).toEqual({
        status: 'rejected',
        memberId,
        couponCode: undefined,
        partner: undefined,
        optionId: OPTION_ID,
      });
    });
  });

  it.each([
    { delayed: false, entry: 'reservePoints:DEBIT' },
    { delayed: true, entry: 'reservePoints:HOLD' },
  ])(
    'rejects with insufficient_points when the ledger itself refuses the entry (delayed: $delayed), issuing no coupon',
    async ({ delayed, entry }) => {
      const redemption = await startRedemption(
        { member: member(500), ledgerPoints: 40, option: optionOf({ partner: 'flavours' }) },
        { delay_points_deduction: delayed },
      );
      expect(await redemption.handle.result()).toMatchObject({
        status: 'rejected',
        reason: 'insufficient_points',
        coupon_code: null,
      });
      expect(fake.trail(redemption.id)).toEqual(['beginRedemption', entry, 'rejectRedemption']);
      expect(fake.callsOf(redemption.id, 'rejectRedemption')[0]!.input).toMatchObject({
        reason: 'insufficient_points',
        memberId: MEMBER_ID,
        version: 2,
      });
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 40, points_held: 0, points_available: 40 });
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({
        status: 'rejected',
        memberId: MEMBER_ID,
        couponCode: undefined,
      });
    },
  );

  it('completes an immediate redemption: debits, issues a coupon, calls the partner, and ends', async () => {
    const option = optionOf({ partner: 'flavours', business_ref: 'biz-1' });
    const redemption = await startRedemption({ member: member(), option });

    expect(await redemption.decision()).toEqual({
      id: redemption.id,
      status: 'completed',
      reason: null,
      coupon_code: redemption.coupon,
      order_id: null,
    });
    expect(fake.trail(redemption.id)).toEqual([
      'beginRedemption',
      'reservePoints:DEBIT',
      'partner:flavours:accepted',
      'completeRedemption',
    ]);
    expect(fake.callsOf(redemption.id, 'beginRedemption')[0]!.input).toEqual({
      redemptionId: redemption.id,
      requestHash: redemption.input.requestHash,
      request: redemption.input.request,
    });
    expect(fake.callsOf(redemption.id, 'reservePoints')[0]!.input).toEqual({
      redemptionId: redemption.id,
      version: 1,
      memberId: MEMBER_ID,
      points: 100,
      delayed: false,
      changes: { currency: 'SAR', partner: 'flavours' },
    });
    expect(fake.callsOf(redemption.id, 'completeRedemption')[0]!.input).toEqual({
      redemptionId: redemption.id,
      version: 2,
    });
    expect(fake.callsOf(redemption.id, 'redeemWithPartner')[0]!.input).toMatchObject({
      redemptionId: redemption.id,
      partner: 'flavours',
      couponCode: redemption.coupon,
      businessRef: 'biz-1',
      branchId: '',
    });
    expect(await searchAttributesOf(redemption.handle)).toEqual({
      status: 'completed',
      memberId: MEMBER_ID,
      couponCode: redemption.coupon,
      partner: 'flavours',
      optionId: OPTION_ID,
    });
    expect(await redemption.handle.result()).toMatchObject({ status: 'completed' });
    expect((await redemption.handle.describe()).status.name).toBe('COMPLETED');
    expect(fake.trail(redemption.id)).toHaveLength(4);
    expect(fake.balances(redemption.id)).toEqual({ points_balance: 400, points_held: 0, points_available: 400 });
  });

  it('completes an immediate redemption of an option without a partner without calling any partner', async () => {
    const redemption = await startRedemption(
      { member: member(), option: variableOption() },
      { point_redemptions: 250 },
    );
    expect(await redemption.handle.result()).toMatchObject({ status: 'completed', coupon_code: redemption.coupon });
    expect(fake.trail(redemption.id)).toEqual(['beginRedemption', 'reservePoints:DEBIT']);
    expect(fake.balances(redemption.id).points_balance).toBe(250);
    expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'completed', partner: undefined });
  });

  it('answers awaitDecision only once decided, and refuses another request hash with idempotency_key_reused', async () => {
    const redemption = await startRedemption({
      member: member(),
      option: optionOf({ partner: 'retm' }),
      partner: ['unavailable', 'accepted'],
    });
    // The first partner attempt fails, so the workflow sits in `redeeming` for the retry's backoff.
    const decision = redemption.decision();
    const reused = redemption.handle.executeUpdate(awaitDecisionUpdate, { args: [{ requestHash: 'another-body' }] });
    expect(await refusalOf(reused)).toBe('idempotency_key_reused');
    expect(await decision).toMatchObject({ status: 'completed' });
    expect(fake.trail(redemption.id).filter((line) => line.startsWith('partner:'))).toEqual([
      'partner:retm:unavailable',
      'partner:retm:accepted',
    ]);
    expect(fake.trail(redemption.id)).toHaveLength(5);
  });

  describe('delayed deduction', () => {
    it('holds the points, awaits the order, then captures them and fulfils when the order arrives', async () => {
      const startedAt = Date.now();
      const option = optionOf({ partner: 'flavours', business_ref: 'biz-1' });
      const redemption = await startRedemption(
        { member: member(), option },
        { delay_points_deduction: true },
        { couponTtlSeconds: 60 },
      );
      expect(await redemption.decision()).toEqual({
        id: redemption.id,
        status: 'awaiting_order',
        reason: null,
        coupon_code: redemption.coupon,
        order_id: null,
      });
      expect(fake.trail(redemption.id)).toEqual(['beginRedemption', 'reservePoints:HOLD']);
      const reserve = fake.callsOf(redemption.id, 'reservePoints')[0]!.input;
      expect(reserve).toMatchObject({ memberId: MEMBER_ID, points: 100, delayed: true, version: 1 });
      expect(reserve.changes).toMatchObject({ currency: 'SAR', partner: 'flavours' });
      expect(Date.parse(reserve.changes.expires_at!) - startedAt).toBeGreaterThanOrEqual(58_000);
      expect(Date.parse(reserve.changes.expires_at!) - startedAt).toBeLessThanOrEqual(65_000);
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 500, points_held: 100, points_available: 400 });
      expect(await searchAttributesOf(redemption.handle)).toEqual({
        status: 'awaiting_order',
        memberId: MEMBER_ID,
        couponCode: redemption.coupon,
        partner: 'flavours',
        optionId: OPTION_ID,
      });

      const order = { order_id: 'o-1', branch_id: 'branch-9', business_ref: 'biz-1', subtotal: 2500, currency: 'SAR' };
      expect(await redemption.handle.executeUpdate(captureOrderUpdate, { args: [order] })).toEqual({
        id: redemption.id,
        status: 'completed',
        reason: null,
        coupon_code: redemption.coupon,
        order_id: 'o-1',
      });
      expect(fake.trail(redemption.id).slice(2)).toEqual([
        'capturePoints',
        'partner:flavours:accepted',
        'completeRedemption',
      ]);
      expect(fake.callsOf(redemption.id, 'capturePoints')[0]!.input).toEqual({
        redemptionId: redemption.id,
        version: 2,
        memberId: MEMBER_ID,
        points: 100,
        // The head the hold left: the capture need not read it again.
        knownHead: { seq: 1, balance_after: 500, held_after: 100 },
        orderId: 'o-1',
        sourcePartner: null,
        orderSubtotal: 2500,
      });
      expect(fake.callsOf(redemption.id, 'redeemWithPartner')[0]!.input).toMatchObject({
        couponCode: redemption.coupon,
        businessRef: 'biz-1',
        branchId: 'branch-9',
      });
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 400, points_held: 0, points_available: 400 });

      expect(await redemption.handle.result()).toMatchObject({ status: 'completed', order_id: 'o-1' });
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'completed' });

      // Once the workflow has ended, the same order again changes nothing and another order is refused.
      expect(await routing().captureOrder(redemption.id, order)).toMatchObject({
        status: 'completed',
        order_id: 'o-1',
      });
      expect(await refusalCodeOf(routing().captureOrder(redemption.id, { ...order, order_id: 'o-2' }))).toBe(
        'coupon_already_used',
      );
      expect(fake.trail(redemption.id).filter((line) => line !== 'loadRedemptionState')).toHaveLength(5);
      expect(fake.trail(redemption.id).filter((line) => line === 'capturePoints')).toHaveLength(1);
    });

    it('tells operators its current details at each state change, and names each step and timer', async () => {
      const option = optionOf({ partner: 'flavours' });
      const redemption = await startRedemption({ member: member(), option }, { delay_points_deduction: true });
      expect((await redemption.decision()).status).toBe('awaiting_order');
      expect(await currentDetailsOf(redemption.handle)).toMatch(
        /^Status: \*\*awaiting_order\*\*\n\nAwaiting its order: 100 points held until \d{4}-/,
      );
      await redemption.handle.executeUpdate(captureOrderUpdate, { args: [{ order_id: 'o-1' }] });
      await redemption.handle.result();
      expect(await currentDetailsOf(redemption.handle)).toBe(
        'Status: **completed**\n\nCompleted: 100 points debited for order o-1',
      );
      const summaries = (await redemption.handle.fetchHistory()).events!.flatMap((event) => {
        const summary = event.userMetadata?.summary?.data;
        if (!summary) return [];
        const kind = event.markerRecordedEventAttributes
          ? 'local activity'
          : event.activityTaskScheduledEventAttributes
            ? 'activity'
            : event.timerStartedEventAttributes
              ? 'timer'
              : event.timerCanceledEventAttributes
                ? 'timer cancelled'
                : 'other';
        return [`${kind}: ${JSON.parse(Buffer.from(summary).toString('utf8'))}`];
      });
      expect(summaries).toEqual([
        'local activity: Load member, option and balance',
        'local activity: Hold 100 points and issue the coupon',
        expect.stringMatching(/^timer: Coupon expires at \d{4}-/),
        expect.stringMatching(/^timer cancelled: Coupon expires at \d{4}-/),
        'local activity: Capture 100 held points for order o-1',
        'activity: Redeem the coupon with flavours',
        'local activity: Mark completed',
      ]);
    });

    it("makes no partner call when the capture came from the option's own partner", async () => {
      const redemption = await startRedemption(
        { member: member(), option: optionOf({ partner: 'flavours' }) },
        { delay_points_deduction: true },
      );
      await redemption.decision();
      const outcome = await redemption.handle.executeUpdate(captureOrderUpdate, {
        args: [{ order_id: 'pos-1', branch_id: 'b-1', source_partner: 'flavours' }],
      });
      expect(outcome).toMatchObject({ status: 'completed', order_id: 'pos-1' });
      expect(fake.trail(redemption.id)).toEqual(['beginRedemption', 'reservePoints:HOLD', 'capturePoints']);
      expect(fake.callsOf(redemption.id, 'capturePoints')[0]!.input.sourcePartner).toBe('flavours');
    });

    it("still calls the option's partner when another partner's webhook captured the coupon", async () => {
      const redemption = await startRedemption(
        { member: member(), option: optionOf({ partner: 'flavours' }) },
        { delay_points_deduction: true },
      );
      await redemption.decision();
      const outcome = await redemption.handle.executeUpdate(captureOrderUpdate, {
        args: [{ order_id: 'pos-2', source_partner: 'retm' }],
      });
      expect(outcome).toMatchObject({ status: 'completed' });
      expect(fake.trail(redemption.id)).toContain('partner:flavours:accepted');
    });

    it('refuses an order from a branch the option excludes and keeps awaiting the order', async () => {
      const redemption = await startRedemption(
        { member: member(), option: optionOf({ branch_ids: ['branch-1'] }) },
        { delay_points_deduction: true },
      );
      await redemption.decision();
      const wrongBranch = redemption.handle.executeUpdate(captureOrderUpdate, {
        args: [{ order_id: 'o-1', branch_id: 'branch-2' }],
      });
      expect(await refusalOf(wrongBranch)).toBe('branch_not_allowed');
      expect(await redemption.handle.query(redemptionStatusQuery)).toMatchObject({
        status: 'awaiting_order',
        order_id: null,
      });
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'awaiting_order' });
      expect(fake.trail(redemption.id)).toHaveLength(2);
      expect(fake.balances(redemption.id).points_held).toBe(100);

      const rightBranch = await redemption.handle.executeUpdate(captureOrderUpdate, {
        args: [{ order_id: 'o-1', branch_id: 'branch-1' }],
      });
      expect(rightBranch).toMatchObject({ status: 'completed', order_id: 'o-1' });
    });

    it('releases the hold and voids the coupon when no order arrives before the coupon expires', async () => {
      const startedAt = Date.now();
      // The option's own TTL wins over the default in the settings.
      const redemption = await startRedemption(
        { member: member(), option: optionOf({ coupon_ttl_seconds: 1 }) },
        { delay_points_deduction: true },
        { couponTtlSeconds: 60 },
      );
      expect(await redemption.handle.result()).toEqual({
        id: redemption.id,
        status: 'expired',
        reason: null,
        coupon_code: redemption.coupon,
        order_id: null,
      });
      expect(fake.trail(redemption.id)).toEqual(['beginRedemption', 'reservePoints:HOLD', 'releasePoints:expired']);
      expect(fake.callsOf(redemption.id, 'releasePoints')[0]!.input).toMatchObject({ version: 2, points: 100 });
      const expiresAt = fake.callsOf(redemption.id, 'reservePoints')[0]!.input.changes.expires_at!;
      expect(Date.parse(expiresAt) - startedAt).toBeLessThan(5_000);
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'expired' });

      // The workflow has closed, so the order never reaches its validator: the client learns the workflow is done
      // and the API answers coupon_expired from the stored record.
      const late = await redemption.handle.executeUpdate(captureOrderUpdate, { args: [{ order_id: 'late' }] }).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(late).toBeInstanceOf(WorkflowNotFoundError);
      expect(late!.message).toMatch(/workflow execution already completed/i);
      expect(await redemption.handle.query(redemptionStatusQuery)).toMatchObject({ status: 'expired' });
      expect(fake.trail(redemption.id)).toHaveLength(3);
    });

    it('releases the hold when a redemption awaiting its order is cancelled', async () => {
      const redemption = await startRedemption(
        { member: member(), option: optionOf() },
        { delay_points_deduction: true },
      );
      await redemption.decision();
      // Without an argument, as the Temporal UI sends it.
      expect(await redemption.handle.executeUpdate(cancelRedemptionUpdate.name)).toMatchObject({ status: 'cancelled' });
      expect(await redemption.handle.result()).toMatchObject({ status: 'cancelled', coupon_code: redemption.coupon });
      expect(fake.trail(redemption.id)).toEqual(['beginRedemption', 'reservePoints:HOLD', 'releasePoints:cancelled']);
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'cancelled' });
    });

    it('releases the hold when an operator cancels the workflow in the Temporal UI, and ends Canceled', async () => {
      const redemption = await startRedemption(
        { member: member(), option: optionOf() },
        { delay_points_deduction: true },
      );
      await redemption.decision();
      await redemption.handle.cancel();
      const failure = await redemption.handle.result().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect(fake.trail(redemption.id)).toEqual(['beginRedemption', 'reservePoints:HOLD', 'releasePoints:cancelled']);
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'cancelled' });
    });

    it('refuses to cancel a redemption whose order was accepted, while capturing and after', async () => {
      const redemption = await startRedemption(
        {
          member: member(),
          option: optionOf({ partner: 'bonat' }),
          slowCalls: { capturePoints: 1_000 },
        },
        { delay_points_deduction: true },
      );
      await redemption.decision();
      const capture = await redemption.handle.startUpdate(captureOrderUpdate, {
        args: [{ order_id: 'o-1' }],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      // Accepted, its capture still running: no longer cancellable. (The workflow may be ending by the time the cancel
      // is read; then the API answers from the stored status.)
      const refused = await routing()
        .cancelRedemption(redemption.id, 'till')
        .catch((error: unknown) => error);
      expect(refused instanceof WorkflowClosedError || (refused as Refusal).code === 'redemption_not_cancellable').toBe(
        true,
      );
      expect(await capture.result()).toMatchObject({ status: 'completed', order_id: 'o-1' });
      expect(await redemption.handle.result()).toMatchObject({ status: 'completed' });
      // After the workflow ended, the API refuses the cancel from the stored status (see the lifecycle tests).
      await expect(routing().cancelRedemption(redemption.id, 'till')).rejects.toBeInstanceOf(WorkflowClosedError);
      expect(fake.callsOf(redemption.id, 'releasePoints')).toHaveLength(0);
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 400, points_held: 0, points_available: 400 });
    });
  });

  describe('partner fulfilment', () => {
    it('refunds the points and voids the coupon when the partner rejects the redemption', async () => {
      const redemption = await startRedemption({
        member: member(),
        option: optionOf({ partner: 'loyapro' }),
        partner: ['rejected'],
      });
      expect(await redemption.decision()).toMatchObject({ status: 'compensated', coupon_code: redemption.coupon });
      expect(await redemption.handle.result()).toMatchObject({ status: 'compensated' });
      expect(fake.trail(redemption.id)).toEqual([
        'beginRedemption',
        'reservePoints:DEBIT',
        'partner:loyapro:rejected',
        'voidCoupon',
        'refundPoints',
        'markCompensated',
      ]);
      expect(fake.callsOf(redemption.id, 'refundPoints')[0]!.input).toEqual({
        redemptionId: redemption.id,
        memberId: MEMBER_ID,
        points: 100,
      });
      expect(fake.callsOf(redemption.id, 'markCompensated')[0]!.input).toEqual({
        redemptionId: redemption.id,
        version: 2,
        failure: expect.stringContaining('loyapro answered 400'),
      });
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'compensated', partner: 'loyapro' });
    });

    it('compensates when the partner stays unavailable until the fulfilment deadline', async () => {
      const startedAt = Date.now();
      const redemption = await startRedemption(
        { member: member(), option: optionOf({ partner: 'deliverect' }), partner: ['unavailable'] },
        {},
        { partnerDeadlineMs: 1_500 },
      );
      expect(await redemption.handle.result()).toMatchObject({ status: 'compensated' });
      // The server stops retrying when the next attempt would start past the deadline; the default deadline (10 s)
      // would have let attempts go on until 7.5 s.
      expect(Date.now() - startedAt).toBeLessThan(4_000);
      const trail = fake.trail(redemption.id);
      const partnerCalls = trail.filter((line) => line.startsWith('partner:'));
      expect(partnerCalls.length).toBeGreaterThanOrEqual(2);
      expect(new Set(partnerCalls)).toEqual(new Set(['partner:deliverect:unavailable']));
      expect(trail.slice(-3)).toEqual(['voidCoupon', 'refundPoints', 'markCompensated']);
      expect(fake.balances(redemption.id).points_balance).toBe(500);
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'compensated' });
    });

    it('retries a partner that fails twice retryably and completes on the third attempt', async () => {
      const redemption = await startRedemption({
        member: member(),
        option: optionOf({ partner: 'flavours' }),
        partner: ['unavailable', 'unavailable', 'accepted'],
      });
      expect(await redemption.decision()).toMatchObject({ status: 'completed' });
      const calls = fake.callsOf(redemption.id, 'redeemWithPartner');
      expect(calls.map((call) => call.line)).toEqual([
        'partner:flavours:unavailable',
        'partner:flavours:unavailable',
        'partner:flavours:accepted',
      ]);
      expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3]);
      expect(new Set(calls.map((call) => JSON.stringify(call.input))).size).toBe(1);
      expect(fake.trail(redemption.id)).not.toContain('refundPoints');
      expect(await redemption.handle.result()).toMatchObject({ status: 'completed' });
    });

    // Regression: a compensation step that failed was logged and passed over, and the redemption still said
    // compensated, whether or not its points had come back.
    it('retries a failing compensation step until it succeeds, and only then refunds and ends compensated', async () => {
      const redemption = await startRedemption({
        member: member(),
        option: optionOf({ partner: 'flavours' }),
        partner: ['rejected'],
        voidCouponFailures: 3,
      });
      expect(await redemption.handle.result()).toMatchObject({ status: 'compensated' });
      expect(fake.trail(redemption.id).slice(2)).toEqual([
        'partner:flavours:rejected',
        'voidCoupon:failed',
        'voidCoupon:failed',
        'voidCoupon:failed',
        'voidCoupon',
        'refundPoints',
        'markCompensated',
      ]);
      expect(fake.balances(redemption.id).points_balance).toBe(500);
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'compensated' });
    });
  });

  describe('partner outcome unknown', () => {
    const reconcile = { partnerReconcileLimitMs: 1_500 };
    const partnerLines = (redemptionId: string) =>
      fake.trail(redemptionId).filter((line) => line.startsWith('partner:'));

    /** Starts a redemption whose partner never gives a definite answer, and waits until it needs review. */
    async function redemptionInReview(option = optionOf({ partner: 'retm' })) {
      const redemption = await startRedemption(
        { member: member(), option, partner: ['unknown'] },
        {},
        { partnerDeadlineMs: 5_000, ...reconcile },
      );
      expect(await redemption.decision()).toMatchObject({ status: 'needs_review', coupon_code: redemption.coupon });
      return redemption;
    }

    it('keeps the points debited and waits for an operator when the partner never answers past the reconcile limit', async () => {
      const startedAt = Date.now();
      const redemption = await redemptionInReview();
      // Ended by the reconcile limit, not by the 5 s fulfilment deadline.
      expect(Date.now() - startedAt).toBeLessThan(4_500);
      const calls = fake.callsOf(redemption.id, 'redeemWithPartner');
      expect(calls.length).toBeGreaterThanOrEqual(2);
      expect(new Set(partnerLines(redemption.id))).toEqual(new Set(['partner:retm:unknown']));
      // The first attempt is fulfilment; every later one reconciles the same request.
      expect(calls[0]!.input.reconciling).toBeUndefined();
      for (const call of calls.slice(1)) expect(call.input).toEqual({ ...calls[0]!.input, reconciling: true });
      expect(fake.trail(redemption.id)).toEqual([
        'beginRedemption',
        'reservePoints:DEBIT',
        ...partnerLines(redemption.id),
        'markNeedsReview',
      ]);
      expect(fake.callsOf(redemption.id, 'markNeedsReview')[0]!.input).toEqual({
        redemptionId: redemption.id,
        version: 2,
        failure: expect.stringContaining('timed out'),
      });
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 400, points_held: 0, points_available: 400 });
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'needs_review', partner: 'retm' });
      expect((await redemption.handle.describe()).status.name).toBe('RUNNING');
      expect(await redemption.handle.query(redemptionStatusQuery)).toMatchObject({ status: 'needs_review' });

      // Waiting for the operator costs no partner call.
      const callsInReview = calls.length;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(fake.callsOf(redemption.id, 'redeemWithPartner')).toHaveLength(callsInReview);
      await redemption.handle.executeUpdate(resolveReviewUpdate, { args: [{ outcome: 'fulfilled' }] });
    });

    it('completes a redemption in review, without a refund, when an operator resolves it as fulfilled', async () => {
      const redemption = await redemptionInReview();
      const resolution: ReviewResolution = {
        outcome: 'fulfilled',
        operator: 'ops-lina',
        reason: 'RETM support confirmed the redemption',
      };
      expect(await redemption.handle.executeUpdate(resolveReviewUpdate, { args: [resolution] })).toMatchObject({
        id: redemption.id,
        status: 'completed',
        coupon_code: redemption.coupon,
      });
      expect(await redemption.handle.result()).toMatchObject({ status: 'completed' });
      expect(fake.trail(redemption.id).slice(-3)).toEqual([
        'markNeedsReview',
        'recordReviewResolution:fulfilled',
        'completeRedemption',
      ]);
      expect(fake.callsOf(redemption.id, 'recordReviewResolution')[0]!.input).toEqual({
        redemptionId: redemption.id,
        resolution,
      });
      expect(fake.callsOf(redemption.id, 'completeRedemption')[0]!.input).toEqual({
        redemptionId: redemption.id,
        version: 3,
      });
      expect(fake.trail(redemption.id)).not.toContain('refundPoints');
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 400, points_held: 0, points_available: 400 });
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'completed' });
    });

    it('refunds the points and voids the coupon when an operator resolves a redemption in review as not fulfilled', async () => {
      const redemption = await redemptionInReview();
      const resolution: ReviewResolution = { outcome: 'not_fulfilled', operator: 'ops-omar' };
      expect(await redemption.handle.executeUpdate(resolveReviewUpdate, { args: [resolution] })).toMatchObject({
        status: 'compensated',
      });
      expect(await redemption.handle.result()).toMatchObject({ status: 'compensated' });
      expect(fake.trail(redemption.id).slice(-5)).toEqual([
        'markNeedsReview',
        'recordReviewResolution:not_fulfilled',
        'voidCoupon',
        'refundPoints',
        'markCompensated',
      ]);
      expect(fake.callsOf(redemption.id, 'markCompensated')[0]!.input).toEqual({
        redemptionId: redemption.id,
        version: 3,
        failure: expect.stringContaining('an operator found that the partner did not fulfil it'),
      });
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'compensated' });
    });

    it('refuses resolveReview for a redemption that is not in review, and a resolution it cannot read', async () => {
      const awaiting = await startRedemption(
        { member: member(), option: optionOf() },
        { delay_points_deduction: true },
      );
      await awaiting.decision();
      const resolve = (handle: RedemptionHandle, resolution: unknown) =>
        handle.executeUpdate(resolveReviewUpdate, { args: [resolution as { outcome: 'fulfilled' }] });
      expect(await refusalOf(resolve(awaiting.handle, { outcome: 'fulfilled' }))).toBe('redemption_not_in_review');
      expect(await searchAttributesOf(awaiting.handle)).toMatchObject({ status: 'awaiting_order' });

      const redemption = await redemptionInReview();
      for (const bad of [
        { outcome: 'maybe' },
        { outcome: 'fulfilled', by: 'x' },
        { outcome: 'fulfilled', reason: 7 },
      ]) {
        expect(await refusalOf(resolve(redemption.handle, bad)), JSON.stringify(bad)).toBe('invalid_review_resolution');
      }
      expect(await redemption.handle.query(redemptionStatusQuery)).toMatchObject({ status: 'needs_review' });
      expect(fake.trail(redemption.id)).not.toContain('recordReviewResolution:fulfilled');
      await resolve(redemption.handle, { outcome: 'fulfilled' });
      expect(await redemption.handle.result()).toMatchObject({ status: 'completed' });
      await awaiting.handle.executeUpdate(cancelRedemptionUpdate, { args: [{ client: 'till' }] });
    });

    it('completes without review when an attempt with an unknown outcome is followed by an accepted one', async () => {
      const redemption = await startRedemption(
        {
          member: member(),
          option: optionOf({ partner: 'flavours' }),
          partner: ['unknown', 'unavailable', 'accepted'],
        },
        {},
        reconcile,
      );
      expect(await redemption.decision()).toMatchObject({ status: 'completed' });
      expect(partnerLines(redemption.id)).toEqual([
        'partner:flavours:unknown',
        'partner:flavours:unavailable',
        'partner:flavours:accepted',
      ]);
      const calls = fake.callsOf(redemption.id, 'redeemWithPartner');
      expect(calls.map((call) => call.input.reconciling)).toEqual([undefined, true, true]);
      expect(fake.trail(redemption.id)).not.toContain('markNeedsReview');
      expect(fake.trail(redemption.id)).not.toContain('refundPoints');
      expect(fake.balances(redemption.id).points_balance).toBe(400);
      expect(await searchAttributesOf(redemption.handle)).toMatchObject({ status: 'completed' });
    });

    it('compensates at once when the partner refuses the request it had left unanswered', async () => {
      const redemption = await startRedemption(
        { member: member(), option: optionOf({ partner: 'bonat' }), partner: ['unknown', 'rejected'] },
        {},
        reconcile,
      );
      expect(await redemption.handle.result()).toMatchObject({ status: 'compensated' });
      expect(fake.trail(redemption.id).slice(2)).toEqual([
        'partner:bonat:unknown',
        'partner:bonat:rejected',
        'voidCoupon',
        'refundPoints',
        'markCompensated',
      ]);
      expect(fake.balances(redemption.id).points_balance).toBe(500);
    });

    it('needs review, not compensation, when the fulfilment deadline passes while an attempt is still running', async () => {
      const redemption = await startRedemption(
        { member: member(), option: optionOf({ partner: 'flavours' }), partner: ['stalled', 'unavailable'] },
        {},
        { partnerDeadlineMs: 1_000, ...reconcile },
      );
      expect(await redemption.decision()).toMatchObject({ status: 'needs_review' });
      expect(fake.callsOf(redemption.id, 'markNeedsReview')).toHaveLength(1);
      expect(fake.trail(redemption.id)).not.toContain('refundPoints');
      expect(fake.balances(redemption.id).points_balance).toBe(400);
      await redemption.handle.executeUpdate(resolveReviewUpdate, { args: [{ outcome: 'not_fulfilled' }] });
      expect(fake.balances(redemption.id).points_balance).toBe(500);
    });
  });

  // Regression (chaos): the store already said completed, because the steps of a workflow task that was lost had
  // written it, while the workflow, running that task again, was still pending; an order then was refused coupon_void.
  // Here the first step waits for a store that is down, so that the orders arrive while the redemptions are pending.
  it('waits for a store that is down, says so, and answers the orders and cancels sent meanwhile once the redemption is decided', async () => {
    const storeDown = { storeDownMs: 25_000 };
    const [immediate, rejected, delayed] = await Promise.all([
      startRedemption({ member: member(), option: optionOf(), ...storeDown }),
      startRedemption({ member: member(50), option: optionOf(), ...storeDown }),
      startRedemption({ member: member(), option: optionOf(), ...storeDown }, { delay_points_deduction: true }),
    ]);
    const details = async () =>
      (await immediate.handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
    for (let poll = 0; poll < 60 && !(await details()).includes('Waiting for the store'); poll++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(await details()).toMatch(/Waiting for the store\*\* since \S+, attempt 1/);
    expect(await details()).toContain('Step: Load member, option and balance');
    const [order, refused, cancel] = await Promise.allSettled([
      immediate.handle.executeUpdate(captureOrderUpdate, { args: [{ order_id: 'o-early' }] }),
      rejected.handle.executeUpdate(captureOrderUpdate, { args: [{ order_id: 'o-late' }] }),
      delayed.handle.executeUpdate(cancelRedemptionUpdate, { args: [{}] }),
    ]);
    expect(cancel).toMatchObject({ status: 'fulfilled', value: { status: 'cancelled' } });
    expect(order).toMatchObject({ status: 'fulfilled', value: { status: 'completed', order_id: 'o-early' } });
    expect(fake.trail(immediate.id)).toContain('recordOrder:o-early');
    expect(refused.status).toBe('rejected');
    expect(String((refused as PromiseRejectedResult).reason.cause)).toMatch(/its redemption is rejected/);
    expect(await details()).not.toContain('Waiting for the store');
  }, 60_000);

  it('finishes a redemption that an operator cancels while its points move and its partner is called', async () => {
    const redemption = await startRedemption({
      member: member(),
      option: optionOf({ partner: 'flavours' }),
      partner: ['unavailable', 'accepted'],
      slowCalls: { 'reservePoints:DEBIT': 500 },
    });
    await redemption.handle.cancel();
    expect(await redemption.handle.result()).toMatchObject({ status: 'completed' });
    expect(fake.trail(redemption.id)).toEqual([
      'beginRedemption',
      'reservePoints:DEBIT',
      'partner:flavours:unavailable',
      'partner:flavours:accepted',
      'completeRedemption',
    ]);
    expect(fake.balances(redemption.id)).toEqual({ points_balance: 400, points_held: 0, points_available: 400 });
  });

  describe('order events after the redemption ended', () => {
    it('refunds the captured points when the order is cancelled, and refuses another order id', async () => {
      const redemption = await startRedemption(
        { member: member(), option: optionOf() },
        { delay_points_deduction: true },
      );
      await redemption.decision();
      await redemption.handle.executeUpdate(captureOrderUpdate, { args: [{ order_id: 'o-1' }] });
      expect(await redemption.handle.result()).toMatchObject({ status: 'completed', order_id: 'o-1' });

      const orders = routing(30);
      expect(await refusalCodeOf(orders.cancelOrder(redemption.id, { order_id: 'o-2' }))).toBe('order_mismatch');
      expect(await orders.cancelOrder(redemption.id, { order_id: 'o-1' })).toMatchObject({
        status: 'refunded',
        order_id: 'o-1',
      });
      expect(await orders.cancelOrder(redemption.id, { order_id: 'o-1' })).toMatchObject({ status: 'refunded' });
      // Each order event reads the stored redemption first (loadRedemptionState, left out here).
      expect(fake.trail(redemption.id).filter((line) => line !== 'loadRedemptionState')).toEqual([
        'beginRedemption',
        'reservePoints:HOLD',
        'capturePoints',
        'refundOrder',
      ]);
      expect(fake.callsOf(redemption.id, 'refundOrder')[0]!.input).toEqual({
        redemptionId: redemption.id,
        version: 4,
        memberId: MEMBER_ID,
        points: 100,
      });
      expect(fake.balances(redemption.id)).toEqual({ points_balance: 500, points_held: 0, points_available: 500 });
      const ordersRun = client.workflow.getHandle(ordersWorkflowIdOf(redemption.id));
      expect((await ordersRun.describe()).typedSearchAttributes.get(RedemptionStatusKey)).toBe('refunded');
    });

    it("records the order that uses an immediate redemption's coupon, refuses a second order, and refunds when it is cancelled", async () => {
      const redemption = await startRedemption({ member: member(), option: optionOf() });
      await redemption.decision();
      expect(await redemption.handle.result()).toMatchObject({ status: 'completed' });
      const orders = routing(30);
      expect(await refusalCodeOf(orders.cancelOrder(redemption.id, { order_id: 'o-9' }))).toBe('order_mismatch');

      expect(await orders.captureOrder(redemption.id, { order_id: 'o-9' })).toMatchObject({
        status: 'completed',
        order_id: 'o-9',
      });
      expect(await refusalCodeOf(orders.captureOrder(redemption.id, { order_id: 'o-10' }))).toBe('coupon_already_used');
      expect(await orders.cancelOrder(redemption.id, { order_id: 'o-9' })).toMatchObject({ status: 'refunded' });
      expect(fake.trail(redemption.id).filter((line) => line !== 'loadRedemptionState')).toEqual([
        'beginRedemption',
        'reservePoints:DEBIT',
        'recordOrder:o-9',
        'refundOrder',
      ]);
      expect(fake.balances(redemption.id).points_balance).toBe(500);
    });

    it('refuses part of an order while its reward is being fulfilled, and refunds that part once it has completed', async () => {
      const redemption = await startRedemption(
        { member: member(), option: optionOf({ partner: 'flavours' }), partner: ['stalled'] },
        { delay_points_deduction: true },
      );
      await redemption.decision();
      const capture = redemption.handle.executeUpdate(captureOrderUpdate, { args: [{ order_id: 'o-part' }] });
      await expect.poll(() => fake.trail(redemption.id)).toContain('partner:flavours:stalled');
      const orders = routing(30);
      const part = { order_id: 'o-part', cancellation_id: 'ocx_aaaaaaaaaaaaaaaaaaaaaaaaaa' };
      expect(await refusalCodeOf(orders.cancelOrder(redemption.id, part))).toBe('order_not_settled');
      expect(await refusalCodeOf(orders.cancelOrder(redemption.id, { ...part, cancellation_id: 'mine' }))).toBe(
        'invalid_order_cancellation',
      );
      expect(await capture).toMatchObject({ status: 'completed' });
      await redemption.handle.result();

      expect(await orders.cancelOrder(redemption.id, part)).toMatchObject({
        status: 'refunded',
        cancellation_refund: 100,
      });
      expect(fake.callsOf(redemption.id, 'refundOrderPart')[0]!.input).toMatchObject({
        cancellationId: part.cancellation_id,
        refund: 100,
        pointsRefunded: 100,
        allRefunded: true,
      });
      expect(fake.trail(redemption.id)).not.toContain('refundOrder');
      expect(fake.balances(redemption.id).points_balance).toBe(500);
    });

    it('refuses to refund the order, or part of it, once the refund window has passed', async () => {
      const redemption = await startRedemption({ member: member(), option: optionOf() });
      await redemption.decision();
      await redemption.handle.result();
      const orders = routing(1);
      await orders.captureOrder(redemption.id, { order_id: 'o-late' });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await refusalCodeOf(orders.cancelOrder(redemption.id, { order_id: 'o-late' }))).toBe(
        'refund_window_passed',
      );
      const part = { order_id: 'o-late', cancellation_id: 'ocx_bbbbbbbbbbbbbbbbbbbbbbbbbb' };
      expect(await refusalCodeOf(orders.cancelOrder(redemption.id, part))).toBe('refund_window_passed');
      expect(fake.trail(redemption.id)).not.toContain('refundOrder');
      expect(fake.callsOf(redemption.id, 'refundOrderPart')).toEqual([]);
      expect(fake.balances(redemption.id).points_balance).toBe(400);
    });
  });

  describe('redemption limits', () => {
    const limited = (input: Record<string, unknown> = {}) =>
      optionOf({ limits: { per_member: { count: 2, period: 'day' }, stock: 10 }, ...input });

    it.each(['member_limit_reached', 'out_of_stock'] as const)(
      'rejects with %s when a limit has no room, before any ledger entry',
      async (reason) => {
        const redemption = await startRedemption({ member: member(), option: limited(), limitRefusal: reason });
        expect(await redemption.handle.result()).toMatchObject({ status: 'rejected', reason, coupon_code: null });
        expect(fake.trail(redemption.id)).toEqual(['beginRedemption', 'claimLimitSlots', 'rejectRedemption']);
        expect(fake.callsOf(redemption.id, 'claimLimitSlots')[0]!.input).toEqual({
          redemptionId: redemption.id,
          memberId: MEMBER_ID,
          optionId: OPTION_ID,
          limits: { per_member: { count: 2, period: 'day' }, stock: 10 },
        });
        expect(fake.balances(redemption.id).points_balance).toBe(500);
      },
    );

    it('takes its slots before the points, and gives them back when the ledger refuses the points', async () => {
      const redemption = await startRedemption({ member: member(500), ledgerPoints: 40, option: limited() });
      expect(await redemption.handle.result()).toMatchObject({ status: 'rejected', reason: 'insufficient_points' });
      expect(fake.trail(redemption.id)).toEqual([
        'beginRedemption',
        'claimLimitSlots',
        'reservePoints:DEBIT',
        'releaseLimitSlots:rejected',
        'rejectRedemption',
      ]);
      expect(fake.callsOf(redemption.id, 'releaseLimitSlots')[0]!.input.slots).toEqual([
        {
          kind: 'member',
          scope: expect.stringMatching(new RegExp(`^member/${OPTION_ID}/${MEMBER_ID}/\\d{4}-\\d{2}-\\d{2}$`)),
        },
        { kind: 'stock', scope: `stock/${OPTION_ID}` },
      ]);
    });

    it('gives the slots back last when it compensates', async () => {
      const redemption = await startRedemption({
        member: member(),
        option: limited({ partner: 'loyapro' }),
        partner: ['rejected'],
      });
      expect(await redemption.handle.result()).toMatchObject({ status: 'compensated' });
      expect(fake.trail(redemption.id)).toEqual([
        'beginRedemption',
        'claimLimitSlots',
        'reservePoints:DEBIT',
        'partner:loyapro:rejected',
        'voidCoupon',
        'refundPoints',
        'releaseLimitSlots:compensated',
        'markCompensated',
      ]);
    });

    it('gives the slots back when the coupon expires, and keeps them when the redemption completes', async () => {
      const expired = await startRedemption(
        { member: member(), option: limited({ coupon_ttl_seconds: 1 }) },
        { delay_points_deduction: true },
      );
      expect(await expired.handle.result()).toMatchObject({ status: 'expired' });
      expect(fake.trail(expired.id)).toEqual([
        'beginRedemption',
        'claimLimitSlots',
        'reservePoints:HOLD',
        'releasePoints:expired',
        'releaseLimitSlots:expired',
      ]);

      const completed = await startRedemption({ member: member(), option: limited() });
      expect(await completed.handle.result()).toMatchObject({ status: 'completed' });
      expect(fake.trail(completed.id)).toEqual(['beginRedemption', 'claimLimitSlots', 'reservePoints:DEBIT']);
    });

    it('gives the slots back when an order cancelled after the workflow ended refunds the redemption', async () => {
      const redemption = await startRedemption({ member: member(), option: limited() });
      expect(await redemption.handle.result()).toMatchObject({ status: 'completed' });
      const orders = routing(30);
      await orders.captureOrder(redemption.id, { order_id: 'o-limits' });
      expect(await orders.cancelOrder(redemption.id, { order_id: 'o-limits' })).toMatchObject({ status: 'refunded' });
      expect(fake.trail(redemption.id).filter((line) => line !== 'loadRedemptionState')).toEqual([
        'beginRedemption',
        'claimLimitSlots',
        'reservePoints:DEBIT',
        'recordOrder:o-limits',
        'refundOrder',
        'releaseLimitSlots:refunded',
      ]);
    });
  });

  describe('history size', () => {
    async function historyOf(handle: RedemptionHandle) {
      const events = (await handle.fetchHistory()).events ?? [];
      return {
        size: events.length,
        storeSteps: events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity')
          .length,
        patches: events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch').length,
        searchAttributeUpserts: events.filter((event) => event.upsertWorkflowSearchAttributesEventAttributes).length,
        activities: events.filter((event) => event.activityTaskScheduledEventAttributes).length,
      };
    }

    it('completes an immediate redemption with a partner call in at most 20 history events', async () => {
      const redemption = await redeemAsTheApiDoes({ member: member(), option: optionOf({ partner: 'flavours' }) });
      expect(redemption.decision).toMatchObject({ status: 'completed' });
      await redemption.handle.result();
      // Started, a workflow task (3 events), update accepted, beginRedemption, reservePoints, search attributes,
      // the partner activity (3), a workflow task (3), completeRedemption, search attributes, update completed,
      // workflow completed: 18, and the workflow is closed.
      const history = await historyOf(redemption.handle);
      expect(history).toMatchObject({ storeSteps: 3, searchAttributeUpserts: 2, activities: 1 });
      expect(history.size).toBeLessThanOrEqual(20);
    });

    it('holds, captures and completes a delayed redemption with a partner call in at most 29 history events', async () => {
      const redemption = await redeemAsTheApiDoes(
        { member: member(), option: optionOf({ partner: 'flavours' }) },
        { delay_points_deduction: true },
      );
      expect(redemption.decision).toMatchObject({ status: 'awaiting_order' });
      const awaiting = await historyOf(redemption.handle);
      // The hold's patch (hold-hands-back-ledger-head) is a marker and an upsert of TemporalChangeVersion more.
      expect(awaiting).toMatchObject({ storeSteps: 2, patches: 1, searchAttributeUpserts: 2, activities: 0 });
      expect(awaiting.size).toBeLessThanOrEqual(12);

      // The order's update (a workflow task, accepted, completed), its timer cancelled, capturePoints, search
      // attributes, then the partner call and completion as for an immediate redemption.
      await redemption.handle.executeUpdate(captureOrderUpdate, { args: [{ order_id: 'o-1' }] });
      await redemption.handle.result();
      const history = await historyOf(redemption.handle);
      expect(history).toMatchObject({ storeSteps: 4, patches: 1, searchAttributeUpserts: 4, activities: 1 });
      expect(history.size).toBeLessThanOrEqual(29);
    });
  });
});
