import { describe, expect, it } from 'vitest';
import { sharedNudges } from '../../application/webhook-lanes';

/** A nudge whose sends the test settles by hand, in order. */
function scriptedNudge() {
  const sends: Array<{ endpointId: string; settle: (error?: Error) => void }> = [];
  const nudge = (endpointId: string) =>
    new Promise<void>((resolve, reject) => {
      sends.push({ endpointId, settle: (error) => (error ? reject(error) : resolve()) });
    });
  return { sends, nudge };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("nudges of an endpoint's lane", () => {
  it('sends one signal for everyone who asked while one was in flight, sent after they asked', async () => {
    const { sends, nudge } = scriptedNudge();
    const shared = sharedNudges(nudge);
    const first = shared('whe_a');
    const second = shared('whe_a');
    const third = shared('whe_a');
    expect(sends).toHaveLength(1);

    sends[0]!.settle();
    await first;
    await tick();
    // The second and third asked after the first signal left: one more covers both.
    expect(sends).toHaveLength(2);
    sends[1]!.settle();
    await expect(Promise.all([second, third])).resolves.toEqual([undefined, undefined]);

    // Nothing in flight: the next one is sent at once.
    const fourth = shared('whe_a');
    expect(sends).toHaveLength(3);
    sends[2]!.settle();
    await fourth;
  });

  it('keeps endpoints apart, and fails every caller of a failed signal (so that their steps are retried)', async () => {
    const { sends, nudge } = scriptedNudge();
    const shared = sharedNudges(nudge);
    const a = shared('whe_a');
    const b = shared('whe_b');
    expect(sends.map((send) => send.endpointId)).toEqual(['whe_a', 'whe_b']);
    const aAgain = shared('whe_a');

    sends[0]!.settle(new Error('Temporal is down'));
    await expect(a).rejects.toThrow('Temporal is down');
    await tick();
    // A failed signal still lets the one queued behind it go.
    sends[2]!.settle(new Error('still down'));
    await expect(aAgain).rejects.toThrow('still down');
    sends[1]!.settle();
    await b;
    const afterwards = shared('whe_a');
    expect(sends).toHaveLength(4);
    sends[3]!.settle();
    await afterwards;
  });
});
