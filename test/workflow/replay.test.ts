import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { historiesDir } from '../harness/histories';

/** One recorded history per path of the saga; re-record with `RECORD_HISTORIES=1 npm test`. */
const EXPECTED_PATHS = [
  'immediate-completed',
  'immediate-compensated',
  'rejected',
  'delayed-captured',
  'order-cancelled-refunded',
  // Part of the order cancelled by amount, three times: the third refunds the rest.
  'order-partly-cancelled',
  'delayed-expired',
  'delayed-cancelled',
  'needs-review-not-fulfilled',
  // An option with limits: a slot taken before the points, and given back.
  'limited-delayed-cancelled',
  'limited-compensated',
  // Recorded before workflows carried the member's id instead of their identifier (scrubbed here): such workflows,
  // still running from before, find their member by the identifier in their input.
  'legacy-request-with-identifiers',
];

describe('replay of recorded histories', () => {
  const files = readdirSync(historiesDir).filter((file) => file.endsWith('.json'));

  it('has a recorded history for every path of the saga', () => {
    expect(files.map((file) => file.replace(/\.json$/, '')).sort()).toEqual([...EXPECTED_PATHS].sort());
  });

  it('replays every recorded history with today’s workflow code without a determinism error', async () => {
    const histories = files.map((file) => ({
      workflowId: file,
      history: historyFromJSON(JSON.parse(readFileSync(`${historiesDir}${file}`, 'utf8'))),
    }));
    const workflowBundle = { code: readFileSync(inject('workflowBundlePath'), 'utf8') };
    const replayed: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
      expect(result.error, `${result.workflowId}: ${result.error?.message}`).toBeUndefined();
      replayed.push(result.workflowId);
    }
    expect(replayed).toHaveLength(EXPECTED_PATHS.length);
  });
});
