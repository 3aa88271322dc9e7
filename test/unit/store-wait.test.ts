import { describe, expect, it } from 'vitest';
import { storeWaitDetails, storeWaitPauseMs } from '../../domain/store-wait';

describe('waiting for the store', () => {
  it('pauses 5 s after the first round, doubling, and never longer than a minute however long it waited', () => {
    expect([1, 2, 3, 4].map(storeWaitPauseMs)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(storeWaitPauseMs(5)).toBe(60_000);
    expect(storeWaitPauseMs(500)).toBe(60_000);
  });

  it('says since when and which attempt, and cuts a long error short', () => {
    const details = storeWaitDetails({
      summary: 'Refund the points',
      since: new Date('2026-12-06T05:00:00Z'),
      attempt: 3,
      error: 'x'.repeat(500),
    });
    expect(details).toContain('**Waiting for the store** since 2026-12-06T05:00:00.000Z, attempt 3');
    expect(details).toContain('Step: Refund the points');
    expect(details).toContain(`Last error: ${'x'.repeat(197)}...`);
  });
});
