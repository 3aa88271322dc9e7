/**
 * An endpoint's lane: delivers what the webhook outbox owes one endpoint, one POST per attempt, each recorded, and keeps
 * each event for replays (store/webhook-history.ts) once it is delivered or given up. One redemption's events go one
 * after the other, in the order they happened; several redemptions go at once. Each event backs off on its own: a
 * failed attempt makes that event due again after its backoff and holds back only its own redemption's later events,
 * while every other redemption's go on. The activity returns once nothing is due, saying when something next will be,
 * and its workflow waits without an activity (webhook-lane.ts). These activities run on their own task queue, so an
 * endpoint that hangs holds only its own lane, never a slot a redemption needs.
 */
import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { fetch } from 'undici';
import { signWebhook } from '../domain/webhook-signature';
import {
  DELIVERY_DEADLINE_MS,
  LANE_HEARTBEAT_TIMEOUT_MS,
  retryDelayMs,
  type DeliveryRetry,
} from '../domain/webhook-retry';
import {
  dueAt,
  WebhookDeliveries,
  WebhookEndpoints,
  WebhookOutbox,
  type OwedWebhookDocument,
  type DeliveryAttempt,
  type WebhookEndpointDocument,
} from '../store/webhooks';
import { WebhookHistory } from '../store/webhook-history';
import { SecretBox } from '../store/secret-box';
import { NOT_PUBLIC_CODE, publicOnlyDispatcher } from './public-only-dispatcher';

export interface DeliverOwedWebhooksInput {
  endpointId: string;
  retry: DeliveryRetry;
  timeoutMs: number;
}

export type DeliverOwedWebhooksResult =
  /** Owed nothing: the workflow waits for the next event's nudge. */
  | { outcome: 'idle' }
  /** Owed only events whose next try is later: the workflow waits that long, or for a nudge. */
  | { outcome: 'waiting'; nextTryInMs: number }
  /** Busy for RUN_MS: the workflow runs the lane afresh. ('recovered' came from lanes before events backed off alone.) */
  | { outcome: 'recovered' | 'ran_long' }
  /** The endpoint was deleted, or disabled (it answered 410 Gone): the lane ends. */
  | { outcome: 'ended'; why: string };

/** Redemptions whose events are delivered at once. */
const PARALLEL_REDEMPTIONS = 16;
/** A busy lane returns after this, so that its workflow's history stays short. */
const RUN_MS = 10 * 60_000;
/** How often a lane drops its endpoint's attempts older than the retention. */
const PRUNE_EVERY_MS = 60 * 60_000;

export interface LaneSettings {
  /** Outbox rows read at a time; one redemption has a handful. */
  batchSize?: number;
  /** How long delivery attempts are kept (WEBHOOK_DELIVERY_RETENTION_DAYS). */
  retentionMs?: number;
  /** WEBHOOK_ALLOW_PRIVATE_URLS: off, requests go to public addresses only. */
  allowPrivateUrls?: boolean;
  /** Opens the endpoints' signing secrets, sealed at rest. */
  secrets?: SecretBox;
}

type Outcome = 'delivered' | 'failed' | 'gone';

/** What a lane finds to do: queues of due events, and when the first event not yet due falls due (null: none). */
interface Owed {
  queues: OwedWebhookDocument[][];
  nextDue: number | null;
}

/** What a round of deliveries writes when it ends: one store write for each kind, however many attempts it made. */
interface RoundWrites {
  attempts: DeliveryAttempt[];
  /** Outbox rows delivered or given up. */
  settled: OwedWebhookDocument[];
}

/** Beyond twice the attempt timeout, how long a lane's run may go without progress before it counts as stuck. */
const LANE_STALL_GRACE_MS = LANE_HEARTBEAT_TIMEOUT_MS;

export function createWebhookDelivery(
  db: Db,
  {
    batchSize = 500,
    retentionMs = 30 * 86_400_000,
    allowPrivateUrls = false,
    secrets = new SecretBox(undefined),
  }: LaneSettings = {},
) {
  const dispatcher = allowPrivateUrls ? undefined : publicOnlyDispatcher();
  const endpoints = new WebhookEndpoints(db, secrets);
  const outbox = new WebhookOutbox(db);
  const deliveries = new WebhookDeliveries(db);
  const history = new WebhookHistory(db);
  const prunedAt = new Map<string, number>();

  async function pruneNowAndThen(endpoint: WebhookEndpointDocument): Promise<void> {
    if (Date.now() - (prunedAt.get(endpoint._id) ?? 0) < PRUNE_EVERY_MS) return;
    const cutoff = new Date(Date.now() - retentionMs);
    await deliveries.prune(endpoint._id, cutoff);
    await history.prune(endpoint._id, endpoint.created_at, cutoff);
    prunedAt.set(endpoint._id, Date.now());
  }

  async function deliver(
    endpoint: WebhookEndpointDocument,
    owed: OwedWebhookDocument,
    input: DeliverOwedWebhooksInput,
    writes: RoundWrites,
  ): Promise<Outcome> {
    const timestamp = Math.floor(Date.now() / 1000);
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'redemption-orchestrator-webhooks',
          'webhook-id': owed.event_id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': await signatureOf(endpoint, owed, timestamp),
        },
        body: owed.body,
        redirect: 'manual',
        dispatcher,
        // A worker shutting down cancels the lane: the attempt is dropped unrecorded, and made again by the next lane.
        signal: AbortSignal.any([AbortSignal.timeout(input.timeoutMs), Context.current().cancellationSignal]),
      });
      status = response.status;
      await response.body?.cancel();
    } catch (failure) {
      if (Context.current().cancellationSignal.aborted) await Context.current().cancelled;
      const cause = ((failure as Error).cause ?? failure) as NodeJS.ErrnoException;
      error =
        (failure as Error).name === 'TimeoutError'
          ? `no answer within ${input.timeoutMs} ms`
          : cause.code === NOT_PUBLIC_CODE
            ? `${NOT_PUBLIC_CODE}: ${cause.message}`
            : (cause.code ?? String(failure));
    }
    const latency = Date.now() - started;
    const succeeded = status !== null && status >= 200 && status < 300;
    const nextTry = Date.now() + retryDelayMs(owed.attempts + 1, input.retry);
    const owedSince = (owed.replayed_at ?? owed.created_at).getTime();
    const retried = !succeeded && status !== 410 && nextTry < owedSince + DELIVERY_DEADLINE_MS;
    writes.attempts.push({
      endpoint_id: endpoint._id,
      event_id: owed.event_id,
      event_type: owed.event_type,
      attempt: owed.attempts + 1,
      http_status: status,
      error,
      latency_ms: latency,
      succeeded,
      next_try_at: retried ? new Date(nextTry) : null,
      attempted_at: new Date(started),
      replay: owed.replayed_at !== undefined,
    });
    if (status === 410) return 'gone';
    // Delivered, or retried until DELIVERY_DEADLINE_MS after the event (or its replay) and given up: owed no more.
    if (!retried) writes.settled.push(owed);
    else await outbox.failedAttempt(owed._id, new Date(nextTry));
    return succeeded ? 'delivered' : 'failed';
  }

  /**
   * What is due, as one queue per redemption in the order its events happened, each starting with an event that is due;
   * and when the first of the rest falls due. A backlog larger than a read is read by what is due, with those
   * redemptions' earlier events (which hold their later ones back).
   */
  async function dueByRedemption(endpointId: string, now: number): Promise<Owed> {
    const rows = await outbox.batch(endpointId, batchSize);
    if (rows.length < batchSize) return dueOf(rows, now);
    const due = await outbox.due(endpointId, new Date(now), batchSize);
    const owed = dueOf(await outbox.forRedemptions(endpointId, [...new Set(due.map((row) => row.redemption_id))]), now);
    if (owed.queues.length > 0) return owed;
    return { queues: [], nextDue: (await outbox.nextTry(endpointId, new Date(now)))?.getTime() ?? null };
  }

  async function runLane(
    context: Context,
    input: DeliverOwedWebhooksInput,
    progressed: () => void,
  ): Promise<DeliverOwedWebhooksResult> {
    const started = Date.now();
    for (;;) {
      progressed();
      if (context.cancellationSignal.aborted) await context.cancelled;
      // Read fresh each round: a rotated secret signs the next round, a deleted endpoint gets nothing more.
      const endpoint = await endpoints.get(input.endpointId);
      if (!endpoint || endpoint.status !== 'enabled') {
        await outbox.dropFor(input.endpointId);
        // A disabled endpoint's attempts stay to be read; a deleted one's can no longer be, nor its events replayed.
        if (!endpoint) await Promise.all([deliveries.dropFor(input.endpointId), history.dropFor(input.endpointId)]);
        return { outcome: 'ended', why: endpoint ? 'endpoint disabled' : 'endpoint deleted' };
      }
      await pruneNowAndThen(endpoint);
      const now = Date.now();
      const { queues, nextDue } = await dueByRedemption(input.endpointId, now);
      if (queues.length === 0) {
        return nextDue === null ? { outcome: 'idle' } : { outcome: 'waiting', nextTryInMs: Math.max(0, nextDue - now) };
      }

      let gone = false;
      const writes: RoundWrites = { attempts: [], settled: [] };
      await inParallel(queues, PARALLEL_REDEMPTIONS, async (queue) => {
        for (const owed of queue) {
          // A failure holds back this redemption's later events only; 410 ends the lane.
          if (gone || dueAt(owed) > now) return;
          const outcome = await deliver(endpoint, owed, input, writes);
          progressed();
          if (outcome === 'gone') gone = true;
          if (outcome !== 'delivered') return;
        }
      });
      // Kept for replays before it leaves the outbox, so that a round failing between the two loses no event from both.
      await Promise.all([
        deliveries.record(input.endpointId, writes.attempts),
        history.keep(writes.settled.filter((owed) => owed.replayed_at === undefined)),
      ]);
      await outbox.settle(
        input.endpointId,
        writes.settled.map((owed) => owed._id),
      );
      if (gone) {
        await endpoints.disable(input.endpointId, 'the endpoint answered 410 Gone');
        await outbox.dropFor(input.endpointId);
        return { outcome: 'ended', why: 'endpoint answered 410 Gone' };
      }
      if (Date.now() - started >= RUN_MS) return { outcome: 'ran_long' };
    }
  }

  return {
    async deliverOwedWebhooks(input: DeliverOwedWebhooksInput): Promise<DeliverOwedWebhooksResult> {
      const context = Context.current();
      // Beats while the run makes progress, even through an attempt that waits long for its answer: a lane whose worker
      // died is taken over after LANE_HEARTBEAT_TIMEOUT_MS, whatever WEBHOOK_TIMEOUT_MS is. A run that has delivered
      // nothing and started no round for longer than any attempt may take is stuck (a store connection dropped
      // without a word waits for ever): it stops beating, and Temporal runs the lane again.
      const stalledAfterMs = 2 * input.timeoutMs + LANE_STALL_GRACE_MS;
      let progressAt = Date.now();
      const beating = setInterval(() => {
        if (Date.now() - progressAt < stalledAfterMs) context.heartbeat();
      }, LANE_HEARTBEAT_TIMEOUT_MS / 4);
      try {
        return await runLane(context, input, () => (progressAt = Date.now()));
      } finally {
        clearInterval(beating);
      }
    },
  };
}

/**
 * The Webhook-Signature of an attempt: signed with the endpoint's secret, and during the overlap after a rotation with
 * the secret it replaced too, space-separated as Standard Webhooks allows; a receiver accepts either.
 */
async function signatureOf(endpoint: WebhookEndpointDocument, owed: OwedWebhookDocument, timestamp: number) {
  const secrets = [endpoint.secret, ...(endpoint.previous_secrets ?? []).map(({ secret }) => secret)];
  const signatures = await Promise.all(
    secrets.map((secret) => signWebhook(secret, owed.event_id, timestamp, owed.body)),
  );
  return signatures.join(' ');
}

/** Rows that hold whole redemptions, as queues of due events, and when the first of the others falls due. */
function dueOf(rows: OwedWebhookDocument[], now: number): Owed {
  const byRedemption = new Map<string, OwedWebhookDocument[]>();
  for (const row of rows) byRedemption.set(row.redemption_id, [...(byRedemption.get(row.redemption_id) ?? []), row]);
  const queues = [...byRedemption.values()].map((queue) => queue.sort((a, b) => a.version - b.version));
  const later = queues.map((queue) => dueAt(queue[0]!)).filter((at) => at > now);
  return {
    queues: queues.filter((queue) => dueAt(queue[0]!) <= now),
    nextDue: later.length > 0 ? Math.min(...later) : null,
  };
}

/** Runs `work` on every item, at most `limit` at a time. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}

export type WebhookDeliveryActivities = ReturnType<typeof createWebhookDelivery>;
