/**
 * Create Redemption's eager start (application/redemption-workflows.ts) beside a worker that polls over the client's
 * own connection, as `npm start` runs them, on a real Temporal server with fake activities: the answer is the
 * workflow's result, a first step slower than REDEMPTION_SYNC_WAIT_MS is answered as waiting, and requests under the
 * same key sent while that step runs are answered as finished once it ends (the stored redemption judges them).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdOf } from '../../application/redemption-ids';
import { RedemptionWorkflows } from '../../application/redemption-workflows';
import { installTemporalRuntime } from '../../application/temporal-runtime';
import type { Config } from '../../config/env';
import type { CreateRedemptionRequest, RedemptionInput } from '../../domain/redemption';
import type { MongoHandle } from '../../store/connect';
import { FakeActivities } from '../harness/fake-activities';
import { catalogueOption } from '../harness/fixtures';
import { startTestWorker, testConfig, uniqueName, type RunningWorker } from '../harness/stack';

const SYNC_WAIT_MS = 2_000;
const MEMBER_ID = 'mbr-eager';
const option = catalogueOption(9);

describe('a redemption started eagerly beside its worker', () => {
  const fake = new FakeActivities();
  let config: Config;
  let connection: NativeConnection;
  let client: Client;
  let worker: RunningWorker;
  let workflows: RedemptionWorkflows;

  beforeAll(async () => {
    config = testConfig({ REDEMPTION_SYNC_WAIT_MS: String(SYNC_WAIT_MS) });
    installTemporalRuntime({ logLevel: 'ERROR' });
    connection = await NativeConnection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    // The fakes never touch MongoDB, so the worker gets no connection to one.
    worker = await startTestWorker(config, {} as MongoHandle, { activities: fake.activities, temporal: client });
    workflows = new RedemptionWorkflows(client, config, { workerInProcess: true });
  });
  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
  });

  /** Create Redemption's start of a redemption whose first step takes `firstStepMs` longer than usual. */
  function redeem(options: { redemptionId?: string; requestHash?: string; firstStepMs?: number } = {}) {
    const redemptionId = options.redemptionId ?? uniqueName('rdm');
    const request: CreateRedemptionRequest = {
      customer_email: 'eager@example.com',
      redemption_option_id: option.id,
      delay_points_deduction: false,
    };
    if (options.redemptionId === undefined) {
      const slowCalls = options.firstStepMs ? { beginRedemption: options.firstStepMs } : undefined;
      fake.add({ redemptionId } as RedemptionInput, { member: { id: MEMBER_ID, points: 500 }, option, slowCalls });
    }
    const parties = { option, memberId: MEMBER_ID };
    const started = workflows.start(redemptionId, request, options.requestHash ?? 'hash', parties, 'till');
    return { redemptionId, started };
  }

  /** Resolves once the redemption's workflow exists. */
  async function untilStarted(redemptionId: string): Promise<void> {
    const handle = client.workflow.getHandle(workflowIdOf(redemptionId));
    for (;;) {
      try {
        await handle.describe();
        return;
      } catch {
        await sleep(10);
      }
    }
  }

  const historyOf = async (redemptionId: string) =>
    (await client.workflow.getHandle(workflowIdOf(redemptionId)).fetchHistory()).events ?? [];

  it('answers with the workflow’s result, started without an update, in one workflow task', async () => {
    const { redemptionId, started } = redeem();
    expect(await started).toMatchObject({ kind: 'decided', outcome: { id: redemptionId, status: 'completed' } });
    const events = await historyOf(redemptionId);
    expect(events.filter((event) => event.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    expect(events.some((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    expect(fake.trail(redemptionId)).toEqual(['beginRedemption', 'reservePoints:DEBIT']);
  });

  it('answers waiting when its first step outlasts the wait, and the workflow goes on to its decision', async () => {
    const { redemptionId, started } = redeem({ firstStepMs: SYNC_WAIT_MS * 2 });
    expect(await started).toEqual({ kind: 'waiting' });
    const result = await client.workflow.getHandle(workflowIdOf(redemptionId)).result();
    expect(result).toMatchObject({ id: redemptionId, status: 'completed' });
  });

  // The run ends with the task that is running when they come, so their update can never be accepted: Temporal answers
  // that the workflow has already started (and ended), and Create Redemption judges them by the stored redemption.
  it('answers requests under the same key, sent while its first step runs, as finished once it has ended', async () => {
    const first = redeem({ firstStepMs: SYNC_WAIT_MS / 2 });
    await untilStarted(first.redemptionId);
    const same = redeem({ redemptionId: first.redemptionId });
    const other = redeem({ redemptionId: first.redemptionId, requestHash: 'another hash' });
    expect(await first.started).toMatchObject({ kind: 'decided', outcome: { status: 'completed' } });
    expect(await same.started).toEqual({ kind: 'finished' });
    expect(await other.started).toEqual({ kind: 'finished' });
    expect(fake.callsOf(first.redemptionId, 'beginRedemption')).toHaveLength(1);
  });
});
