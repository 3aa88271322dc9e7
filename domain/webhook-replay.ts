/**
 * Replaying an endpoint's events: the window a replay covers. A replay sends again the events that happened in
 * [since, until), so that a receiver which lost them (or was down past their deadline) can catch up.
 */
import { z } from 'zod';
import { Refusal } from './failures';

const DAY_MS = 24 * 3600 * 1000;

const dateTime = z.iso.datetime({ offset: true }).meta({ pattern: z.regexes.datetime({ offset: true }).source });

export const webhookReplayInputSchema = z
  .object({
    since: dateTime.meta({
      description: 'Start of the window, inclusive: when the events happened (their created_at)',
    }),
    until: dateTime.optional().meta({
      description: 'End of the window, exclusive; must be later than since. Default: now',
      'x-later-than': 'since',
    }),
  })
  .strict()
  .refine(({ since, until }) => until === undefined || Date.parse(until) > Date.parse(since), {
    path: ['until'],
    message: 'must be later than since',
  })
  .meta({ id: 'WebhookReplayInput' });

export interface ReplayWindow {
  since: Date;
  until: Date;
}

/**
 * The window asked for, `until` defaulting to now. Refused when it ends before it starts (a `since` in the future with
 * no `until`; an explicit `until` not after `since` is invalid input, refused before) or covers more than `maxDays`.
 */
export function replayWindow(
  asked: { since: Date; until?: Date | undefined },
  now: Date,
  maxDays: number,
): ReplayWindow {
  const { since } = asked;
  const until = asked.until ?? now;
  if (until <= since) {
    throw new Refusal(
      'replay_since_in_future',
      `since (${since.toISOString()}) is not earlier than until (${until.toISOString()}; now when left out): ask for a since in the past.`,
    );
  }
  if (until.getTime() - since.getTime() > maxDays * DAY_MS) {
    throw new Refusal(
      'replay_window_too_long',
      `A replay covers at most ${maxDays} days (WEBHOOK_REPLAY_MAX_WINDOW_DAYS); ask for a shorter window, or several.`,
    );
  }
  return { since, until };
}
