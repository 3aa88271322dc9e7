/**
 * An endpoint's lane: delivers what the webhook outbox owes one endpoint, one POST per attempt, each recorded. One
 * redemption's events go one after the other, in the order they happened; several redemptions go at once. When an
 * attempt fails, the lane stops taking new work and fails, and Temporal retries it with the workflow's backoff: the
 * next attempt starts again from what is still owed. These activities run on their own task queue, so an endpoint
 * that hangs holds only its own lane, never a slot a redemption needs.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
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
  WebhookDeliveries,
  WebhookEndpoints,
  WebhookOutbox,
  type OwedWebhookDocument,
  type DeliveryAttempt,
  type WebhookEndpointDocument,
} from '../store/webhooks';
import { SecretBox } from '../store/secret-box';
import { NOT_PUBLIC_CODE, publicOnlyDispatcher } from './public-only-dispatcher';
import { nudgeOrTimeout } from './webhook-lane-nudges';

export interface DeliverOwedWebhooksInput {
  endpointId: string;
  retry: DeliveryRetry;
  timeoutMs: number;
  /** How often an idle lane looks for events written by other processes. */
  pollMs: number;
}

export type DeliverOwedWebhooksResult =
  /** Nothing owed for a while, or working again after failed attempts: the workflow runs the lane afresh. */
  | { outcome: 'idle' | 'recovered' | 'ran_long' }
  /** The endpoint was deleted, or disabled (it answered 410 Gone): the lane ends. */
  | { outcome: 'ended'; why: string };

/** The type of the failure a non-2xx answer or a network error raises: retried by Temporal. */
export const WEBHOOK_ATTEMPT_FAILED = 'WebhookAttemptFailed';

/** Redemptions whose events are delivered at once. */
const PARALLEL_REDEMPTIONS = 8;
/** A busy lane returns after this, so that its workflow's history stays short. */
const RUN_MS = 10 * 60_000;
/** How often a lane drops its endpoint's attempts older than the retention. */
const PRUNE_EVERY_MS = 60 * 60_000;

export interface LaneSettings {
  /** Outbox rows read at a time; one redemption has a handful. */
  batchSize?: number;
  /** How long a lane waits for work before it returns. */
  idleMs?: number;
  /** How long delivery attempts are kept (WEBHOOK_DELIVERY_RETENTION_DAYS). */
  retentionMs?: number;
  /** WEBHOOK_ALLOW_PRIVATE_URLS: off, requests go to public addresses only. */
  allowPrivateUrls?: boolean;
  /** Opens the endpoints' signing secrets, sealed at rest. */
  secrets?: SecretBox;
}

type Outcome = 'delivered' | 'failed' | 'gone';

/** What a round of deliveries writes when it ends: one store write for each kind, however many attempts it made. */
interface RoundWrites {
  attempts: DeliveryAttempt[];
  /** Outbox rows delivered or given up. */
  settled: string[];
}

export function createWebhookDelivery(
  db: Db,
  {
    batchSize = 500,
    idleMs = 60_000,
    retentionMs = 30 * 86_400_000,
    allowPrivateUrls = false,
    secrets = new SecretBox(undefined),
  }: LaneSettings = {},
) {
  const dispatcher = allowPrivateUrls ? undefined : publicOnlyDispatcher();
  const endpoints = new WebhookEndpoints(db, secrets);
  const outbox = new WebhookOutbox(db);
  const deliveries = new WebhookDeliveries(db);
  const prunedAt = new Map<string, number>();

  async function pruneNowAndThen(endpointId: string): Promise<void> {
    if (Date.now() - (prunedAt.get(endpointId) ?? 0) < PRUNE_EVERY_MS) return;
    await deliveries.prune(endpointId, new Date(Date.now() - retentionMs));
    prunedAt.set(endpointId, Date.now());
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
    // The lane's next attempt comes after Temporal's backoff for this attempt of the lane.
    const nextTry = Date.now() + retryDelayMs(Context.current().info.attempt, input.retry);
    const retried = !succeeded && status !== 410 && nextTry < owed.created_at.getTime() + DELIVERY_DEADLINE_MS;
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
    });
    if (status === 410) return 'gone';
    // Delivered, or retried until DELIVERY_DEADLINE_MS after the event and given up: owed no more.
    if (!retried) writes.settled.push(owed._id);
    else await outbox.failedAttempt(owed._id);
    return succeeded ? 'delivered' : 'failed';
  }

  /** What is owed, as one queue per redemption in the order its events happened. */
  async function owedByRedemption(endpointId: string): Promise<OwedWebhookDocument[][]> {
    const rows = await outbox.batch(endpointId, batchSize);
    const byRedemption = new Map<string, OwedWebhookDocument[]>();
    for (const row of rows) byRedemption.set(row.redemption_id, [...(byRedemption.get(row.redemption_id) ?? []), row]);
    // A full batch may have left out a redemption's earlier events: read those redemptions' rows whole.
    const queues =
      rows.length < batchSize
        ? [...byRedemption.values()]
        : await Promise.all([...byRedemption.keys()].map((id) => outbox.forRedemption(endpointId, id)));
    return queues.map((queue) => queue.sort((a, b) => a.version - b.version));
  }

  async function runLane(context: Context, input: DeliverOwedWebhooksInput): Promise<DeliverOwedWebhooksResult> {
    const started = Date.now();
    let lastWork = Date.now();
    let delivered = false;
    for (;;) {
      if (context.cancellationSignal.aborted) await context.cancelled;
      // Read fresh each round: a rotated secret signs the next round, a deleted endpoint gets nothing more.
      const endpoint = await endpoints.get(input.endpointId);
      if (!endpoint || endpoint.status !== 'enabled') {
        await outbox.dropFor(input.endpointId);
        // A disabled endpoint's attempts stay to be read; a deleted one's can no longer be.
        if (!endpoint) await deliveries.dropFor(input.endpointId);
        return { outcome: 'ended', why: endpoint ? 'endpoint disabled' : 'endpoint deleted' };
      }
      await pruneNowAndThen(input.endpointId);
      const queues = await owedByRedemption(input.endpointId);
      if (queues.length === 0) {
        if (delivered && context.info.attempt > 1) return { outcome: 'recovered' };
        if (Date.now() - lastWork >= idleMs) return { outcome: 'idle' };
        await nudgeOrTimeout(input.endpointId, input.pollMs, context.cancellationSignal);
        continue;
      }

      let stopped: Outcome | undefined;
      const writes: RoundWrites = { attempts: [], settled: [] };
      await inParallel(queues, PARALLEL_REDEMPTIONS, async (queue) => {
        for (const owed of queue) {
          if (stopped) return;
          const outcome = await deliver(endpoint, owed, input, writes);
          if (outcome === 'delivered') {
            delivered = true;
            continue;
          }
          // 410 ends the lane; any other failure stops this redemption's queue (its next events wait their turn).
          if (stopped !== 'gone') stopped = outcome;
          return;
        }
      });
      await Promise.all([
        deliveries.record(input.endpointId, writes.attempts),
        outbox.settle(input.endpointId, writes.settled),
      ]);
      if (stopped === 'gone') {
        await endpoints.disable(input.endpointId, 'the endpoint answered 410 Gone');
        await outbox.dropFor(input.endpointId);
        return { outcome: 'ended', why: 'endpoint answered 410 Gone' };
      }
      if (stopped === 'failed') {
        throw ApplicationFailure.create({
          type: WEBHOOK_ATTEMPT_FAILED,
          message: `a delivery to ${endpoint.url} failed; the lane is retried with backoff`,
        });
      }
      lastWork = Date.now();
      if (lastWork - started >= RUN_MS) return { outcome: 'ran_long' };
    }
  }

  return {
    async deliverOwedWebhooks(input: DeliverOwedWebhooksInput): Promise<DeliverOwedWebhooksResult> {
      const context = Context.current();
      // Beats while the process lives, even through an attempt that waits long for its answer: a lane whose worker
      // died is taken over after LANE_HEARTBEAT_TIMEOUT_MS, whatever WEBHOOK_TIMEOUT_MS is.
      const beating = setInterval(() => context.heartbeat(), LANE_HEARTBEAT_TIMEOUT_MS / 4);
      try {
        return await runLane(context, input);
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

/** Runs `work` on every item, at most `limit` at a time. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}

export type WebhookDeliveryActivities = ReturnType<typeof createWebhookDelivery>;
