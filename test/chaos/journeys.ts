/**
 * Clients of a run that kills things: each journey is one redemption a till makes (immediate, delayed then ordered,
 * cancelled, left to expire, ordered then the order cancelled), retrying every outage with its Idempotency-Key; and
 * the checks of what must hold afterwards whatever happened, each counted as it is checked. The chaos run and the
 * production topology's test share them.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Db } from 'mongodb';
import { reconcileLedger } from '../../application/reconciliation';
import { redemptionIdFor, workflowIdOf } from '../../application/redemption-ids';
import { stuckLimits } from '../../domain/stuck';
import type { RedemptionOption } from '../../domain/options';
import type { Member } from '../../store/members';
import { foldLedger } from '../harness/fixtures';

export const FINAL = new Set(['rejected', 'completed', 'compensated', 'expired', 'cancelled', 'refunded']);

export type Kind = 'immediate' | 'delayed-order' | 'delayed-cancel' | 'delayed-expire' | 'order-cancel';
export const KINDS: Kind[] = ['immediate', 'delayed-order', 'delayed-cancel', 'delayed-expire', 'order-cancel'];

export interface Journey {
  kind: Kind;
  key: string;
  redemptionId?: string;
  /** What the answers said the redemption would end as. */
  expected?: string;
  answers: string[];
  /** Answers that a later answer or the end state contradicted. */
  contradictions: string[];
}

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Answer {
  status: number;
  body: any;
}

/**
 * Sends a request until it gets an answer that is not an outage (a network error, a 5xx other than the partner's
 * refusal, or a 202 still waiting), as a till would, within `deadlineMs`. `url` may name another replica each time.
 */
export async function untilAnswered(
  url: string | (() => string),
  init: { method: string; apiKey: string; body?: unknown; key?: string },
  deadlineMs = 180_000,
): Promise<Answer> {
  const deadline = Date.now() + deadlineMs;
  const target = typeof url === 'string' ? () => url : url;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(target(), {
        method: init.method,
        headers: {
          authorization: `Bearer ${init.apiKey}`,
          'content-type': 'application/json',
          ...(init.key ? { 'idempotency-key': init.key } : {}),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      const body = text ? JSON.parse(text) : {};
      const partnerRefused = res.status === 502 && body?.error?.code === 'partner_redeem_failed';
      if (res.status !== 202 && (res.status < 500 || partnerRefused)) return { status: res.status, body };
    } catch {
      // The API is down or restarting: try again.
    }
    if (Date.now() > deadline)
      throw new Error(`${init.method} ${target()} had no answer within ${deadlineMs / 1000} s`);
    await sleep(Math.min(2_000, 200 * attempt));
  }
}

export interface JourneyOptions {
  /** A reward fulfilled by the partner. */
  partner: RedemptionOption;
  /** A plain coupon. */
  plain: RedemptionOption;
  /** A coupon that expires within seconds. */
  shortLived: RedemptionOption;
}

export interface Travellers {
  client: string;
  apiKey: string;
  /** The API to call: the same one, or the next replica each time. */
  apiUrl: () => string;
  members: Member[];
  options: JourneyOptions;
}

/** One till's redemption, from create to its last order event, recording what each answer promised. */
export async function travel(journey: Journey, index: number, travellers: Travellers): Promise<void> {
  const { apiKey, options } = travellers;
  const api = (path: string) => () => `${travellers.apiUrl()}${path}`;
  journey.redemptionId = redemptionIdFor(travellers.client, journey.key);
  const member = travellers.members[index % travellers.members.length]!;
  const delayed = journey.kind.startsWith('delayed');
  const option =
    journey.kind === 'delayed-expire'
      ? options.shortLived
      : journey.kind === 'order-cancel'
        ? options.plain
        : options.partner;
  const created = await untilAnswered(api('/v1/redemptions'), {
    method: 'POST',
    apiKey,
    key: journey.key,
    body: { customer_email: member.email, redemption_option_id: option.id, delay_points_deduction: delayed },
  });
  const said = (answer: Answer) => `${answer.status} ${answer.body?.status ?? answer.body?.error?.code}`;
  journey.answers.push(`create: ${said(created)}`);
  if (created.status === 502) {
    journey.expected = 'compensated';
    return;
  }
  // Its coupon lives 10 s: a create whose answer an outage held back longer is answered, when resent, as expired.
  if (journey.kind === 'delayed-expire' && created.status === 200 && created.body.status === 'expired') {
    journey.expected = 'expired';
    return;
  }
  if (created.status !== 201) {
    journey.contradictions.push(`create answered ${said(created)}`);
    return;
  }
  const coupon = created.body.coupon_code as string;
  const id = created.body.id as string;
  journey.expected = created.body.status;
  if (journey.kind === 'delayed-order') {
    const order = await untilAnswered(api('/v1/orders'), {
      method: 'POST',
      apiKey,
      body: { order_id: `order-${journey.key}`, coupon_code: coupon },
    });
    journey.answers.push(`order: ${said(order)}`);
    if (order.status !== 200) journey.contradictions.push(`awaiting_order, then the order was refused: ${said(order)}`);
    else journey.expected = order.body.redemptions[0].status;
  } else if (journey.kind === 'delayed-cancel') {
    const cancel = await untilAnswered(api(`/v1/redemptions/${id}/cancel`), { method: 'POST', apiKey });
    journey.answers.push(`cancel: ${said(cancel)}`);
    if (cancel.status !== 200)
      journey.contradictions.push(`awaiting_order, then the cancel was refused: ${said(cancel)}`);
    else journey.expected = 'cancelled';
  } else if (journey.kind === 'delayed-expire') {
    journey.expected = 'expired';
  } else if (journey.kind === 'order-cancel') {
    const orderId = `order-${journey.key}`;
    const order = await untilAnswered(api('/v1/orders'), {
      method: 'POST',
      apiKey,
      body: { order_id: orderId, coupon_code: coupon },
    });
    journey.answers.push(`order: ${said(order)}`);
    if (order.status !== 200) {
      journey.contradictions.push(`completed, then its order was refused: ${said(order)}`);
      return;
    }
    const cancel = await untilAnswered(api(`/v1/orders/${orderId}/cancel`), { method: 'POST', apiKey });
    journey.answers.push(`order cancel: ${said(cancel)}`);
    if (cancel.status !== 200)
      journey.contradictions.push(`completed, then the order cancel was refused: ${said(cancel)}`);
    else journey.expected = cancel.body.redemptions[0].status;
  }
}

/** Violations, and how many times each invariant was checked, for a report that says what it proved. */
export class Invariants {
  readonly violations: string[] = [];
  readonly checked: Record<string, number> = {};

  check(invariant: string, holds: boolean, violation: () => string): void {
    this.checked[invariant] = (this.checked[invariant] ?? 0) + 1;
    if (!holds) this.violations.push(`${invariant}: ${violation()}`);
  }
}

/** What a stuck redemption's workflow is doing: its pending activities and its last failed workflow task. */
async function whyStuck(client: Client, id: string): Promise<string> {
  try {
    const handle = client.workflow.getHandle(workflowIdOf(id));
    const { raw } = await handle.describe();
    const activities = (raw.pendingActivities ?? []).map(
      (activity) =>
        `${activity.activityType?.name} attempt ${activity.attempt} (${activity.lastFailure?.message ?? 'no failure'})`,
    );
    const history = await handle.fetchHistory();
    const taskFailures = (history.events ?? [])
      .filter((event) => event.workflowTaskFailedEventAttributes)
      .map((event) => event.workflowTaskFailedEventAttributes?.failure?.message);
    const failure = failureOf(history);
    const ended = failure ? `; failed: ${failure}` : '';
    return `pending: ${activities.join('; ') || 'none'}; failed workflow tasks: ${taskFailures.slice(-2).join(' | ') || 'none'}${ended}`;
  } catch (error) {
    return `(not described: ${(error as Error).message})`;
  }
}

export interface Settled {
  /** The stored redemptions, by id, once every journey's has settled (or the wait ran out). */
  stored: Map<string, any>;
}

/**
 * Checks what must hold once the clients are done: every answer's promise kept, every redemption settled as its
 * answers said, nobody paid or refunded twice, no fulfilled reward refunded, every balance the fold of its ledger with
 * nothing held, and no workflow failed or left running (but the webhook lanes).
 */
export async function checkAfterwards(
  invariants: Invariants,
  context: {
    db: Db;
    client: Client;
    journeys: Journey[];
    travellers: Travellers;
    /** Redemptions the partner fulfilled. */
    fulfilled: Set<string>;
  },
): Promise<Settled> {
  const { db, client, journeys, fulfilled } = context;
  for (const journey of journeys) {
    invariants.check(
      'every answer agrees with the answers before it',
      journey.contradictions.length === 0,
      () =>
        `${journey.key} (${journey.kind}): ${journey.contradictions.join('; ')}; answers: ${journey.answers.join(', ')}`,
    );
  }

  // Nothing lost or stuck: every redemption answered reaches the end its answers promised.
  const ids = journeys.flatMap((journey) => (journey.redemptionId ? [journey.redemptionId] : []));
  // A store step that waited through an outage retries after a pause of up to a minute, however often it has waited (domain/store-wait.ts).
  const settleDeadline = Date.now() + 330_000;
  let stored = new Map<string, any>();
  for (;;) {
    const documents = await db
      .collection('redemptions')
      .find({}, { projection: { events: 0, event_keys: 0 } })
      .toArray();
    stored = new Map(documents.map((document) => [document._id as unknown as string, document]));
    const unsettled = ids.filter((id) => !FINAL.has(stored.get(id)?.status));
    if (unsettled.length === 0 || Date.now() > settleDeadline) break;
    await sleep(1_000);
  }
  for (const id of ids) {
    const status = stored.get(id)?.status;
    const settled = FINAL.has(status);
    invariants.check('every redemption settles', settled, () => `${id} is stuck at ${status ?? 'missing'}`);
    if (!settled) invariants.violations.push(`  why ${id} is stuck: ${await whyStuck(client, id)}`);
  }
  for (const journey of journeys) {
    const status = journey.redemptionId ? stored.get(journey.redemptionId)?.status : undefined;
    if (!journey.expected || !status || !FINAL.has(journey.expected)) continue;
    invariants.check(
      'every redemption ends as its final answer said',
      journey.expected === status,
      () => `${journey.key}: answered ${journey.expected}, ended ${status}`,
    );
  }

  // The ledger: at most one DEBIT or CAPTURE and one REFUND per redemption, none after the partner fulfilled.
  const entries = await db
    .collection('ledger')
    .find({ redemption_id: { $exists: true } })
    .toArray();
  const byRedemption = new Map<string, string[]>();
  for (const entry of entries) {
    byRedemption.set(entry.redemption_id, [...(byRedemption.get(entry.redemption_id) ?? []), entry.type]);
  }
  for (const [id, types] of byRedemption) {
    const count = (type: string) => types.filter((candidate) => candidate === type).length;
    invariants.check(
      'no redemption is paid twice',
      count('DEBIT') + count('CAPTURE') <= 1,
      () => `${id}: ${types.join(', ')}`,
    );
    invariants.check('no redemption is refunded twice', count('REFUND') <= 1, () => `${id}: ${types.join(', ')}`);
    const document = stored.get(id);
    invariants.check(
      'no reward the partner fulfilled is refunded',
      !(count('REFUND') > 0 && fulfilled.has(id) && document?.status !== 'refunded'),
      () => `${id}: refunded while ${document?.status}`,
    );
  }
  for (const id of fulfilled) {
    invariants.check(
      'no reward the partner fulfilled is compensated',
      stored.get(id)?.status !== 'compensated',
      () => `${id} was compensated`,
    );
  }

  // Every balance is the fold of its ledger, with nothing left held.
  const { apiKey, apiUrl } = context.travellers;
  for (const member of context.travellers.members) {
    const fold = await foldLedger(db, member._id);
    const answer = await untilAnswered(() => `${apiUrl()}/v1/members/${member._id}`, { method: 'GET', apiKey });
    invariants.check(
      'every balance is the fold of its ledger',
      answer.body.points_balance === fold.points_balance && answer.body.points_held === fold.points_held,
      () =>
        `member ${member._id}: balance ${answer.body.points_balance}/${answer.body.points_held}, fold ${fold.points_balance}/${fold.points_held}`,
    );
    invariants.check(
      'no points are left held',
      fold.points_held === 0,
      () => `member ${member._id}: ${fold.points_held} points still held`,
    );
  }

  // Reconciliation agrees: every member's ledger folds, every redemption moved exactly the points its status says,
  // and none is stuck (with no deadline to spare: every redemption has settled by now).
  const reconciled = await reconcileLedger(db, {
    trigger: 'cli',
    stuckLimits: stuckLimits({ partnerRedeemDeadlineMs: 0, partnerReconcileLimitMs: 0 }),
  });
  invariants.check('the ledger reconciles', reconciled.mismatch_count === 0, () =>
    JSON.stringify(reconciled.mismatches.slice(0, 5)),
  );
  invariants.check('no redemption is stuck', reconciled.stuck_count === 0, () =>
    JSON.stringify(reconciled.stuck?.slice(0, 5)),
  );

  const failed = await client.workflow.count('ExecutionStatus = "Failed"');
  const failures = failed.count === 0 ? [] : await failuresOf(client, 'ExecutionStatus = "Failed"', 3);
  invariants.check(
    'no workflow failed',
    failed.count === 0,
    () => `${failed.count} workflows failed, for example ${failures.join('; ')}`,
  );
  const runningDeadline = Date.now() + 60_000;
  let running = 0;
  for (;;) {
    running = (await client.workflow.count('ExecutionStatus = "Running" AND WorkflowType != "webhookLaneWorkflow"'))
      .count;
    if (running === 0 || Date.now() > runningDeadline) break;
    await sleep(1_000);
  }
  invariants.check('no workflow is left running', running === 0, () => `${running} workflows are still running`);
  return { stored };
}

/** The first `limit` workflows the query finds, each with the failure its history ends with. */
async function failuresOf(client: Client, query: string, limit: number): Promise<string[]> {
  const failures: string[] = [];
  for await (const execution of client.workflow.list({ query })) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    failures.push(`${execution.workflowId}: ${failureOf(history) ?? 'no failure recorded'}`);
    if (failures.length === limit) break;
  }
  return failures;
}

/** The failure a workflow's history ends with, and its cause, when it ended failed. */
function failureOf(history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>): string | undefined {
  const failure = history.events?.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
  return failure ? `${failure.message} (${failure.cause?.message ?? 'no cause'})` : undefined;
}
