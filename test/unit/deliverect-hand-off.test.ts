import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createDeliverectHandOff, type DeliverectHandOffPorts } from '../../activities/deliverect-hand-off';

const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('Deliverect hand-off activities', () => {
  // Regression (CI): a hand-off waiting on a redemption's update kept its worker from shutting down for ever.
  it('abort their wait on the redemptions when the attempt is cancelled, as a worker shutting down cancels it', async () => {
    const waitsForEver = (_id: string, signal: AbortSignal) =>
      new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const ports: DeliverectHandOffPorts = {
      startOrder: waitsForEver,
      cancelOrder: waitsForEver,
      deadLetter: async () => undefined,
    };
    const activities = createDeliverectHandOff(ports);
    for (const handOver of [activities.handOverDeliverectOrder, activities.handOverDeliverectCancel]) {
      const environment = new MockActivityEnvironment(undefined, { logger: silentLogger });
      const attempt = environment.run(handOver, { notificationId: 'deliverect:order:D-1' });
      environment.cancel('WORKER_SHUTDOWN');
      await expect(attempt).rejects.toThrow();
    }
  });
});
