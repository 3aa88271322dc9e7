/**
 * The Deliverect order workflow's hand-offs on a real worker and Temporal server with fake activities: a hand-off is
 * retried until the redemptions confirm it, and one still failing at its deadline goes to the dead letters.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliverectHandOffActivities } from '../../activities/deliverect-hand-off';
import type { Config } from '../../config/env';
import type { DeadLetterReason, HandOff } from '../../domain/partner-inbox';
import type { MongoHandle } from '../../store/connect';
import type { deliverectOrderWorkflow } from '../../workflows';
import { deliverectNotificationSignal, type DeliverectNotificationRef } from '../../workflows/messages';
import { connectTestClient, startTestWorker, testConfig, uniqueName, type RunningWorker } from '../harness/stack';

/** Scripted hand-offs: each call takes the next answer (an Error is thrown), the last one repeating. */
class FakeHandOff {
  readonly calls: string[] = [];
  readonly deadLetters: Array<{ notificationId: string; why: DeadLetterReason }> = [];
  answers: Array<HandOff | Error> = [{ outcome: 'done' }];

  readonly activities: DeliverectHandOffActivities = {
    handOverDeliverectOrder: async ({ notificationId }) => this.answer(notificationId),
    handOverDeliverectCancel: async ({ notificationId }) => this.answer(notificationId),
    deadLetterDeliverectNotification: async (letter) => {
      this.deadLetters.push(letter);
    },
  };

  private answer(notificationId: string): HandOff {
    this.calls.push(notificationId);
    const next = this.answers.length > 1 ? this.answers.shift()! : this.answers[0]!;
    if (next instanceof Error) throw next;
    return next;
  }
}

describe('the Deliverect order workflow', () => {
  const fake = new FakeHandOff();
  let config: Config;
  let client: Client;
  let worker: RunningWorker;

  beforeAll(async () => {
    config = testConfig();
    client = await connectTestClient(config);
    // The fakes never touch MongoDB, so the worker gets no connection to one.
    worker = await startTestWorker(config, {} as MongoHandle, { activities: fake.activities });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  async function handOverOrder(handOffDeadlineMs: number): Promise<string> {
    const orderId = uniqueName('D');
    const handle = await client.workflow.signalWithStart<typeof deliverectOrderWorkflow, [DeliverectNotificationRef]>(
      'deliverectOrderWorkflow',
      {
        workflowId: `deliverect-order-${orderId}`,
        taskQueue: config.temporal.taskQueue,
        args: [{ orderId, handOffDeadlineMs, orphanCancelTtlMs: 60_000 }],
        signal: deliverectNotificationSignal,
        signalArgs: [{ id: `deliverect:order:${orderId}`, kind: 'order' }],
      },
    );
    await handle.result();
    return `deliverect:order:${orderId}`;
  }

  it('retries a hand-off that fails until the redemptions confirm it, and gives nothing up', async () => {
    fake.answers = [new Error('Temporal did not answer'), new Error('the store is down'), { outcome: 'done' }];
    const id = await handOverOrder(60_000);
    expect(fake.calls.filter((call) => call === id)).toHaveLength(3);
    expect(fake.deadLetters.filter((letter) => letter.notificationId === id)).toEqual([]);
  });

  it('gives a hand-off still failing at its deadline to the dead letters, with its last failure', async () => {
    fake.answers = [new Error('the store is down')];
    const id = await handOverOrder(3_000);
    expect(fake.calls.filter((call) => call === id).length).toBeGreaterThanOrEqual(2);
    expect(fake.deadLetters.filter((letter) => letter.notificationId === id)).toEqual([
      {
        notificationId: id,
        why: { reason: 'hand_off_failed', message: expect.stringContaining('the store is down') },
      },
    ]);
  });
});
