/**
 * Every query the product makes on a hot path is index-backed: with a few thousand documents written through the
 * product's own store code, `explain` of each shows an index scan and no full scan (PostgreSQL's `Seq Scan` under
 * FerretDB, `COLLSCAN` on MongoDB).
 */
import { ExpiryDates } from '../../store/expiry-dates';
import type { Document } from 'mongodb';
import { withPostgres } from '../../store/ferretdb/lookup-indexes';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Ledger, ledgerEntryId } from '../../store/ledger';
import { LimitUsage } from '../../store/limit-usage';
import { numberedEntryId } from '../../store/numbered-log';
import { Members } from '../../store/members';
import { PartnerNotifications } from '../../store/partner-notifications';
import { Redemptions } from '../../store/redemptions';
import { createOption } from '../harness/fixtures';
import { connectTestMongo, testConfig } from '../harness/stack';
import type { MongoHandle } from '../../store/connect';
import { utcDay } from '../../domain/reports';
import type { RedemptionStatus } from '../../domain/states';
import type { OwedWebhookDocument, WebhookDeliveryDocument, WebhookEndpointDocument } from '../../store/webhooks';
import type { SentWebhookDocument } from '../../store/webhook-history';

const MEMBERS = 2_000;
const ENTRIES_PER_MEMBER = 3;
const OPTIONS = 2_000;
const REDEMPTIONS = 2_000;
// As many as members: with fewer, the heads table is small enough that PostgreSQL may rightly prefer a scan.
const LIMIT_SCOPES = 2_000;
const WEBHOOK_ENDPOINTS = 1_000;

/** Every plan node's kind: PostgreSQL's `Node Type`s under FerretDB, MongoDB's `stage`s. */
function planNodes(explained: Document): string[] {
  const nodes: string[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if ((key === 'Node Type' || key === 'stage') && typeof child === 'string') nodes.push(child);
        else visit(child);
      }
    }
  };
  visit(explained.queryPlanner ?? explained);
  return nodes;
}

function expectIndexBacked(what: string, explained: Document) {
  const nodes = planNodes(explained);
  expect(nodes, `${what}: ${JSON.stringify(explained.queryPlanner).slice(0, 400)}`).not.toContain('Seq Scan');
  expect(nodes, what).not.toContain('COLLSCAN');
  expect(
    nodes.some((node) => /Index Scan|IXSCAN|IDHACK|EXPRESS/.test(node)),
    `${what} uses an index: ${nodes.join(' > ')}`,
  ).toBe(true);
}

describe('store queries on hot paths', () => {
  let mongo: MongoHandle;
  let memberIds: string[];
  let redemptionIds: string[];
  let couponCodes: string[];

  beforeAll(async () => {
    const config = testConfig();
    mongo = await connectTestMongo(config);
    const db = mongo.db;
    const members = new Members(db);
    const ledger = new Ledger(db);
    const redemptions = new Redemptions(db);
    const notifications = new PartnerNotifications(db);
    const option = await createOption(db);
    // A real catalogue is tens of options, which PostgreSQL rightly reads whole; thousands show the index serves it.
    await db
      .collection<{ _id: number }>('redemption_options')
      .insertMany(Array.from({ length: OPTIONS }, (_, index) => ({ ...option, _id: option.id + 1 + index })));

    memberIds = [];
    for (let index = 0; index < MEMBERS; index++) {
      const member = await members.create({
        email: `member-${index}@example.com`,
        phone_number: `+9665${String(index).padStart(8, '0')}`,
        pos_account_id: `POS-${index}`,
        external_id: `ext-${index}`,
      });
      memberIds.push(member._id);
    }
    await Promise.all(
      memberIds.map(async (memberId) => {
        for (let seq = 1; seq <= ENTRIES_PER_MEMBER; seq++) {
          await ledger.append({ memberId, type: 'EARN', points: 10, idempotencyKey: `seed:${memberId}:${seq}` });
        }
      }),
    );

    // Every member's points expire on some day of a year, at midnight UTC as the programme's default dates them.
    const expiryDates = new ExpiryDates(db);
    await Promise.all(
      memberIds.map((memberId, index) =>
        expiryDates.add(memberId, new Date(Date.UTC(2030, 0, 1 + (index % 365))).toISOString()),
      ),
    );

    const usage = new LimitUsage(db);
    await Promise.all(
      Array.from({ length: LIMIT_SCOPES }, async (_, index) => {
        const scope = `member/1/${memberIds[index]}/lifetime`;
        for (let claim = 1; claim <= 3; claim++) {
          const redemptionId = `rdm_seed${index}_${claim}`;
          await usage.claim({ scope, limit: 5, idempotencyKey: `${redemptionId}:member:claim`, redemptionId });
        }
      }),
    );

    redemptionIds = [];
    couponCodes = [];
    // As on a live store: most redemptions are finished; a few await their order.
    const statusOf = (index: number): RedemptionStatus =>
      index % 50 === 0 ? 'awaiting_order' : index % 10 === 1 ? 'rejected' : 'completed';
    for (let index = 0; index < REDEMPTIONS; index++) {
      const id = `rdm_seed${index}`;
      const code = `SEED-${String(index).padStart(4, '0')}-AAAA-BBBB`;
      const now = new Date();
      await redemptions.createIfMissing(
        {
          _id: id,
          request_hash: 'seed',
          request: {
            customer_email: `member-${index % MEMBERS}@example.com`,
            redemption_option_id: option.id,
            delay_points_deduction: false,
          },
          member_id: memberIds[index % MEMBERS]!,
          redemption_option_id: option.id,
          points: 100,
          delay_points_deduction: false,
          currency: 'SAR',
          coupon_code: code,
          issued_coupon_code: code,
          status: statusOf(index),
          reason: null,
          partner: null,
          order_id: `order-${index}`,
          expires_at: null,
          created_at: now,
          // Redemptions of 200 days, ten a day, as a report reads them.
          created_day: utcDay(new Date(Date.UTC(2026, 0, 1) + (index % 200) * 24 * 3600 * 1000)),
          updated_at: now,
          version: 0,
        },
        [{ type: 'requested', status: 'pending' }],
      );
      couponCodes.push(code);
      redemptionIds.push(id);
    }
    for (let index = 0; index < 500; index++) {
      await notifications.record({
        _id: `deliverect:order:seed-${index}`,
        partner: 'deliverect',
        kind: 'order',
        raw: JSON.stringify({ orderId: `seed-${index}` }),
        order_id: `seed-${index}`,
        redemption_ids: [],
      });
      if (index % 100 === 1) {
        await notifications.deadLetter(`deliverect:order:seed-${index}`, { reason: 'seeded', message: 'seeded' });
      } else if (index % 50 !== 0) await notifications.markDone(`deliverect:order:seed-${index}`);
    }

    // A partner call for each redemption, as its fulfilment records them.
    await db.collection<{ _id: string }>('partner_calls').insertMany(
      redemptionIds.map((redemptionId) => ({
        _id: `${redemptionId}/partner:1`,
        redemption_id: redemptionId,
        at: new Date(),
        type: 'partner_call',
        data: { attempt: 1, outcome: 'accepted' },
      })),
    );

    // Three years of daily reconciliation runs.
    await db
      .collection<{ _id: string }>('reconciliation_reports')
      .insertMany(Array.from({ length: 1_000 }, (_, index) => ({ _id: `rec_${index}`, mismatch_count: 0 })));
    // Webhooks: endpoints (most long disabled, so that the enabled ones are few), events and delivery attempts.
    const endpointIds = Array.from({ length: WEBHOOK_ENDPOINTS }, (_, index) => `whe_seed${index}`);
    await db.collection<WebhookEndpointDocument>('webhook_endpoints').insertMany(
      endpointIds.map((_id, index) => ({
        _id,
        url: `https://merchant-${index}.example/hooks`,
        events: ['*'],
        description: null,
        secret: 'whsec_c2VlZA==',
        status: index % 100 === 0 ? 'enabled' : 'disabled',
        disabled_reason: null,
        created_at: new Date(),
        updated_at: new Date(),
      })),
    );
    // What the outbox still owes the endpoints: a backlog of one event per redemption, spread over them.
    await db.collection<OwedWebhookDocument>('webhook_outbox').insertMany(
      redemptionIds.map((redemptionId, index) => ({
        _id: `${endpointIds[index % WEBHOOK_ENDPOINTS]}/evt_seed${index}`,
        endpoint_id: endpointIds[index % WEBHOOK_ENDPOINTS]!,
        event_id: `evt_seed${index}`,
        event_type: 'redemption.completed' as const,
        redemption_id: redemptionId,
        version: 3,
        body: '{}',
        created_at: new Date(),
        attempts: 0,
      })),
    );
    // A head per endpoint, as many as the ledger's (fewer could make PostgreSQL rightly prefer a scan).
    await db
      .collection<{ _id: string; seq: number }>('webhook_delivery_heads')
      .insertMany(Array.from({ length: 2 * WEBHOOK_ENDPOINTS }, (_, index) => ({ _id: `whe_seed${index}`, seq: 2 })));
    await db.collection<WebhookDeliveryDocument>('webhook_deliveries').insertMany(
      redemptionIds.map((_, index) => ({
        _id: `${endpointIds[index % WEBHOOK_ENDPOINTS]}/${Math.floor(index / WEBHOOK_ENDPOINTS) + 1}`,
        delivery_id: `dlv_seed${index}`,
        endpoint_id: endpointIds[index % WEBHOOK_ENDPOINTS]!,
        seq: Math.floor(index / WEBHOOK_ENDPOINTS) + 1,
        block: `${endpointIds[index % WEBHOOK_ENDPOINTS]}/0`,
        event_id: `evt_seed${index}`,
        event_type: 'redemption.completed' as const,
        attempt: 1,
        http_status: 200,
        error: null,
        latency_ms: 5,
        succeeded: true,
        next_try_at: null,
        attempted_at: new Date(Date.now() + index),
      })),
    );

    // What the endpoints were sent, kept for replays: events of 200 days.
    await db.collection<SentWebhookDocument>('webhook_history').insertMany(
      redemptionIds.map((redemptionId, index) => {
        const endpointId = endpointIds[index % WEBHOOK_ENDPOINTS]!;
        const createdAt = new Date(Date.UTC(2026, 0, 1) + (index % 200) * 24 * 3600 * 1000);
        return {
          _id: `${endpointId}/evt_seed${index}`,
          endpoint_id: endpointId,
          endpoint_day: `${endpointId}/${utcDay(createdAt)}`,
          event_id: `evt_seed${index}`,
          event_type: 'redemption.completed' as const,
          redemption_id: redemptionId,
          version: 3,
          body: '{}',
          created_at: createdAt,
        };
      }),
    );

    // Up-to-date statistics, as autovacuum keeps them on a live store, so that the plans are the ones it would run.
    const postgresUrl = inject('postgresUrl');
    if (postgresUrl) await withPostgres(postgresUrl, (client) => client.query('ANALYZE'));
  }, 300_000);

  afterAll(async () => {
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.client.close();
  });

  const find = (collection: string, filter: Document) => mongo.db.collection(collection).find(filter).explain();
  const count = (collection: string, filter: Document) =>
    mongo.db
      .collection(collection)
      .aggregate([{ $match: filter }, { $group: { _id: 1, n: { $sum: 1 } } }])
      .explain();

  it('reads the ledger head, appends, idempotency keys, pages and a redemption’s entries through indexes', async () => {
    const memberId = memberIds[7]!;
    expectIndexBacked('head hint', await find('ledger_heads', { _id: memberId }));
    expectIndexBacked('entry by position', await find('ledger', { _id: ledgerEntryId(memberId, 3) }));
    expectIndexBacked('idempotency key', await find('ledger', { idempotency_key: `seed:${memberId}:2` }));
    expectIndexBacked('ledger page block', await find('ledger', { block: `${memberId}/0` }));
    expectIndexBacked('entries of a redemption', await find('ledger', { redemption_id: redemptionIds[3] }));
  });

  // The expiry pass also reads its mark, the one document of points_expiry_sweeps.
  it('finds the points expiring in a minute through an index', async () => {
    expectIndexBacked(
      'expiry dates of a minute',
      await find('points_expiry_dates', { due_minute: '2030-01-05T00:00' }),
    );
  });

  it('reads a limit scope’s head, its entries by position and its idempotency keys through indexes', async () => {
    const scope = `member/1/${memberIds[7]}/lifetime`;
    expectIndexBacked('usage head hint', await find('limit_usage_heads', { _id: scope }));
    expectIndexBacked('usage entry by position', await find('limit_usage', { _id: numberedEntryId(scope, 2) }));
    expectIndexBacked(
      'usage idempotency key',
      await find('limit_usage', { idempotency_key: 'rdm_seed7_2:member:claim' }),
    );
  });

  it('finds a member by id and by each identifier through indexes', async () => {
    expectIndexBacked('member by id', await find('members', { _id: memberIds[5] }));
    expectIndexBacked('by email', await find('members', { email: 'member-5@example.com' }));
    expectIndexBacked('by phone', await find('members', { phone_number: '+966500000005' }));
    expectIndexBacked('by POS account', await find('members', { pos_account_id: 'POS-5' }));
    expectIndexBacked('by external id', await find('members', { external_id: 'ext-5' }));
    expectIndexBacked('option by id', await find('redemption_options', { _id: 1 }));
  });

  it('finds redemptions (with their events) by id, coupon, order and list filters, and counts list filters, through indexes', async () => {
    expectIndexBacked('redemption by id', await find('redemptions', { _id: redemptionIds[42] }));
    expectIndexBacked('status step', await find('redemptions', { _id: redemptionIds[42], version: { $lt: 3 } }));
    expectIndexBacked(
      'audit event append',
      await find('redemptions', { _id: redemptionIds[42], event_keys: { $ne: 'partner:1' } }),
    );
    expectIndexBacked(
      "a partner attempt's audit event",
      await find('partner_calls', { _id: `${redemptionIds[42]}/partner:1` }),
    );
    expectIndexBacked(
      "a redemption's partner calls",
      await find('partner_calls', { redemption_id: redemptionIds[42] }),
    );
    expectIndexBacked('redemptions by order', await find('redemptions', { order_id: 'order-42' }));
    expectIndexBacked('redemptions by coupon', await find('redemptions', { coupon_code: couponCodes[42] }));
    const member = { member_id: memberIds[9] };
    expectIndexBacked('list by member', await find('redemptions', member));
    expectIndexBacked('list by status', await find('redemptions', { status: 'awaiting_order' }));
    expectIndexBacked('list by member and status', await find('redemptions', { ...member, status: 'completed' }));
    expectIndexBacked('count by member', await count('redemptions', member));
    expectIndexBacked('count by status', await count('redemptions', { status: 'awaiting_order' }));
    expectIndexBacked(
      'redemptions created on a day (reports)',
      await find('redemptions', { created_day: '2026-02-01' }),
    );
    // The metrics' gauges read the statuses work waits in, whose matches are bounded by the work in flight.
    expectIndexBacked('waiting by status (metrics)', await count('redemptions', { status: 'redeeming' }));
  });

  // The newest run's pointer (what the metrics read) is one document by construction: its table is never scanned long.
  it('reads a reconciliation report by id through an index, however many runs there were', async () => {
    expectIndexBacked('reconciliation report', await find('reconciliation_reports', { _id: 'rec_7' }));
  });

  it('reads the partner inbox by id, its pending work, its backlog and its dead letters through indexes', async () => {
    expectIndexBacked('notification by id', await find('partner_notifications', { _id: 'deliverect:order:seed-7' }));
    expectIndexBacked(
      'pending notifications',
      await find('partner_notifications', { partner: 'deliverect', state: 'received' }),
    );
    expectIndexBacked(
      'inbox backlog (metrics)',
      await count('partner_notifications', { partner: 'deliverect', state: 'received' }),
    );
    expectIndexBacked(
      'inbox backlog handed over (metrics)',
      await count('partner_notifications', { partner: 'deliverect', state: 'handed_over' }),
    );
    expectIndexBacked(
      'dead letters (the API and metrics)',
      await find('partner_notifications', { state: 'dead_letter' }),
    );
  });

  it('reads webhook endpoints, the enabled ones, the outbox and an endpoint’s deliveries through indexes', async () => {
    expectIndexBacked('endpoint by id', await find('webhook_endpoints', { _id: 'whe_seed7' }));
    expectIndexBacked(
      'enabled endpoints (every status change)',
      await find('webhook_endpoints', { status: 'enabled' }),
    );
    expectIndexBacked(
      "what the outbox owes an endpoint (each lane's round)",
      await find('webhook_outbox', { endpoint_id: 'whe_seed7' }),
    );
    expectIndexBacked(
      "what one redemption's events owe an endpoint",
      await find('webhook_outbox', { redemption_id: redemptionIds[7], endpoint_id: 'whe_seed7' }),
    );
    expectIndexBacked(
      "an endpoint's newest delivery number",
      await find('webhook_delivery_heads', { _id: 'whe_seed7' }),
    );
    expectIndexBacked(
      "a block of an endpoint's deliveries (a page, and the read forward from the head)",
      await find('webhook_deliveries', { block: 'whe_seed7/0' }),
    );
    expectIndexBacked('a delivery by number', await find('webhook_deliveries', { _id: 'whe_seed7/1' }));
  });

  it("reads a replay's window of what an endpoint was sent through indexes, a day at a time on FerretDB", async () => {
    expectIndexBacked(
      "a day of an endpoint's events (a replay's window on FerretDB, and pruning)",
      await find('webhook_history', { endpoint_day: 'whe_seed7/2026-01-08' }),
    );
    expectIndexBacked(
      "an endpoint's events in a window (a replay's window on MongoDB)",
      await find('webhook_history', {
        endpoint_id: 'whe_seed7',
        created_at: { $gte: new Date('2026-01-08T00:00:00Z'), $lt: new Date('2026-01-10T00:00:00Z') },
      }),
    );
    expectIndexBacked("a deleted endpoint's events", await find('webhook_history', { endpoint_id: 'whe_seed7' }));
  });
});
