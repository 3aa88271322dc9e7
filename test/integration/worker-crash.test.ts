import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Ledger } from '../../store/ledger';
import { createMemberWithPoints, createOption, foldLedger } from '../harness/fixtures';
import { readJson, startTestStack, startTestWorker, type RunningWorker, type TestStack } from '../harness/stack';
import { startStubPartner, type StubPartner } from '../harness/stub-partner';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The real worker entry point as its own process, so that it can be killed outright. */
function spawnWorkerProcess(stack: TestStack, partner: StubPartner): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH,
      TEMPORAL_ADDRESS: stack.config.temporal.address,
      TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
      MONGODB_URI: stack.config.mongo.uri,
      MONGODB_DB: stack.config.mongo.db,
      FLAVOURS_REDEEM_URL: partner.redeemUrl,
      WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
      // The default metrics port may be taken by a running `npm start` or another suite's worker.
      WORKER_METRICS_ADDRESS: 'off',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker running')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker process exited with ${code} before it ran:\n${output}`)));
  });
}

describe('a worker that dies in the middle of a saga', () => {
  let stack: TestStack;
  let partner: StubPartner;
  let replacement: RunningWorker | undefined;
  let doomed: ChildProcess | undefined;

  beforeAll(async () => {
    partner = await startStubPartner();
    stack = await startTestStack({
      worker: false,
      // The hung partner call outlasts the synchronous wait by far, so the answer is always 202: with both at 1 s, the
      // retry after the call's timeout sometimes completed the redemption inside the wait (201).
      env: { REDEMPTION_SYNC_WAIT_MS: '1000', PARTNER_CALL_TIMEOUT_MS: '5000', PARTNER_REDEEM_DEADLINE_MS: '60000' },
    });
  });
  afterAll(async () => {
    // A run that failed before killing it must not leave the worker process behind.
    if (doomed && doomed.exitCode === null && doomed.signalCode === null) doomed.kill('SIGKILL');
    await replacement?.stop();
    await stack?.close();
    await partner?.close();
  });

  it('is finished by another worker, and the redemption completes exactly once', async () => {
    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db, { partner: 'flavours' });
    const worker = await spawnWorkerProcess(stack, partner);
    doomed = worker;
    partner.queue({ hang: true });

    const res = await stack.api.request('/v1/redemptions', {
      method: 'POST',
      json: { customer_email: member.email, redemption_option_id: option.id },
      headers: { 'idempotency-key': 'crash-test' },
    });
    expect(res.status).toBe(202);
    const { id } = await readJson(res);
    await partner.waitForCalls(1);
    expect((await new Ledger(stack.mongo.db).balances(member._id)).points_balance).toBe(400);

    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));
    replacement = await startTestWorker(stack.config, stack.mongo);

    await expect
      .poll(async () => (await readJson(await stack.api.request(`/v1/redemptions/${id}`))).status, {
        timeout: 45_000,
        interval: 500,
      })
      .toBe('completed');

    const fold = await foldLedger(stack.mongo.db, member._id);
    expect(fold.entries.filter((entry) => entry.type === 'DEBIT')).toHaveLength(1);
    expect(fold.points_balance).toBe(400);
    expect(new Set(partner.calls.map((call) => call.headers['idempotency-key']))).toEqual(new Set([id]));
    const detail = await readJson(await stack.api.request(`/v1/redemptions/${id}`));
    expect(detail.events.filter((event: any) => event.status === 'completed')).toHaveLength(1);

    const replay = await stack.api.request('/v1/redemptions', {
      method: 'POST',
      json: { customer_email: member.email, redemption_option_id: option.id },
      headers: { 'idempotency-key': 'crash-test' },
    });
    expect(replay.status).toBe(201);
    expect((await readJson(replay)).id).toBe(id);
  });
});
