import { Client, Connection } from '@temporalio/client';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApi } from '../../api/compose';
import { createApplication } from '../../application';
import { deliverectOrderWorkflowId, deliverectRedemptionId } from '../../application/deliverect-inbox';
import type { RedemptionOption } from '../../domain/options';
import { Ledger } from '../../store/ledger';
import { Redemptions } from '../../store/redemptions';
import { PartnerNotifications } from '../../store/partner-notifications';
import { createMemberWithPoints, createOption, foldLedger } from '../harness/fixtures';
import { recordHistory } from '../harness/histories';
import { scrape, sampleSum } from '../harness/prometheus';
import { readJson, startTestStack, testLogger, uniqueName, type TestStack } from '../harness/stack';
import { startStubPartner, type StubPartner } from '../harness/stub-partner';

const SECRET = 'deliverect-inbound-secret';
/** How long a cancellation waits for an order we never saw, here. */
const ORPHAN_TTL_SECONDS = 5;
const SEED_REQUEST = JSON.parse(
  readFileSync(new URL('../fixtures/deliverect/loyalty-programs-request.json', import.meta.url), 'utf8'),
);

describe('Deliverect webhooks', () => {
  let stack: TestStack;
  let flavours: StubPartner;
  let memberId: string;
  let discount: RedemptionOption;
  let freeDrink: RedemptionOption;
  let comboDiscount: RedemptionOption;
  let bigSpender: RedemptionOption;
  let viaFlavours: RedemptionOption;
  /** The inbox of another API process over the same store and Temporal: what a restarted process resumes with. */
  const newInbox = () =>
    createApplication({ config: stack.config, db: stack.mongo.db, temporal: stack.client, logger: testLogger })
      .deliverect;

  beforeAll(async () => {
    flavours = await startStubPartner();
    stack = await startTestStack({
      env: {
        DELIVERECT_INBOUND_SECRET: SECRET,
        FLAVOURS_REDEEM_URL: flavours.redeemUrl,
        FLAVOURS_INBOUND_SECRET: 'flavours-inbound',
        DELIVERECT_ORPHAN_CANCEL_TTL_SECONDS: String(ORPHAN_TTL_SECONDS),
      },
    });
    const db = stack.mongo.db;
    const member = await createMemberWithPoints(db, 10_000, {
      email: SEED_REQUEST.order.customer.email,
      phone_number: SEED_REQUEST.order.customer.phoneNumber,
    });
    memberId = member._id;
    const eur = { currency: 'EUR' };
    discount = await createOption(db, {
      ...eur,
      type: 'discount_amount',
      item_plu: undefined,
      cost_points: 100,
      discount: 100,
    });
    freeDrink = await createOption(db, { ...eur, type: 'free_item', cost_points: 500, item_plu: 'DRN-01' });
    comboDiscount = await createOption(db, {
      ...eur,
      type: 'item_discount_percentage',
      cost_points: 150,
      item_plu: 'CMB-02',
      discount: 5000,
    });
    bigSpender = await createOption(db, {
      ...eur,
      type: 'discount_amount',
      item_plu: undefined,
      cost_points: 50,
      discount: 500,
      min_subtotal: 5000,
    });
    viaFlavours = await createOption(db, {
      ...eur,
      type: 'free_item',
      cost_points: 200,
      item_plu: 'VEG-01',
      partner: 'flavours',
    });
  });
  afterAll(async () => {
    await stack?.close();
    await flavours?.close();
  });

  const sign = (raw: string, secret = SECRET) => createHmac('sha256', secret).update(raw).digest('hex');
  const post = (path: string, json: unknown, signature?: string) => {
    const raw = JSON.stringify(json);
    return fetch(`${stack.api.url}/webhooks/deliverect/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature === undefined ? { 'x-server-authorization-hmac-sha256': sign(raw) } : {}),
        ...(signature ? { 'x-server-authorization-hmac-sha256': signature } : {}),
      },
      body: raw,
    });
  };
  const balances = () => new Ledger(stack.mongo.db).balances(memberId);
  const statusOf = async (id: string) => (await readJson(await stack.api.request(`/v1/redemptions/${id}`))).status;
  const orderWith = (orderId: string, programIds: number[], orderOverrides: Record<string, unknown> = {}) => ({
    ...SEED_REQUEST,
    orderId,
    order: {
      ...SEED_REQUEST.order,
      ...orderOverrides,
      discounts: programIds.map((id) => ({
        name: 'loyalty',
        programId: String(id),
        type: 'discount_amount',
        amount: 100,
      })),
    },
  });

  it("answers loyalty-programs with the member's programmes in the seed's shape, applicable against this basket", async () => {
    const res = await post('loyalty-programs', SEED_REQUEST);
    expect(res.status).toBe(200);
    const programs = await readJson(res);
    const byId = Object.fromEntries(programs.map((program: any) => [program.programId, program]));
    expect(byId[String(discount.id)]).toEqual({
      programId: String(discount.id),
      title: discount.name,
      description: discount.name,
      cost: 100,
      type: 'discount_amount',
      discount: 100,
      expiresAt: null,
      applicable: true,
    });
    expect(byId[String(freeDrink.id)]).toMatchObject({ type: 'free_item', itemPLU: 'DRN-01', applicable: false });
    expect(byId[String(comboDiscount.id)]).toMatchObject({ itemPLU: 'CMB-02', discount: 5000, applicable: true });
    expect(byId[String(bigSpender.id)]).toMatchObject({ applicable: false });
    expect(byId[String(viaFlavours.id)]).toMatchObject({ applicable: true });
  });

  it('finds the customer by phone when the order has no email, and answers [] for an unknown customer', async () => {
    const byPhone = { ...SEED_REQUEST, order: { ...SEED_REQUEST.order, customer: { phoneNumber: '+31201234567' } } };
    expect((await readJson(await post('loyalty-programs', byPhone))).length).toBeGreaterThan(0);
    const stranger = { ...SEED_REQUEST, order: { ...SEED_REQUEST.order, customer: { email: 'nobody@example.com' } } };
    expect(await readJson(await post('loyalty-programs', stranger))).toEqual([]);
  });

  it('refuses a missing, wrong or re-serialised signature with 401 and records nothing', async () => {
    const notifications = stack.mongo.db.collection('partner_notifications');
    const before = await notifications.countDocuments();
    const order = orderWith('D-unsigned', [discount.id]);
    for (const signature of ['', 'deadbeef', sign(JSON.stringify(order), 'another-secret')]) {
      const res = await post('orders', order, signature || '');
      expect(res.status, signature).toBe(401);
    }
    const spaced = await fetch(`${stack.api.url}/webhooks/deliverect/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-server-authorization-hmac-sha256': sign(JSON.stringify(order)),
      },
      body: JSON.stringify(order, null, 2),
    });
    expect(spaced.status).toBe(401);
    expect(await notifications.countDocuments()).toBe(before);
    expect((await balances()).points_balance).toBe(10_000);
  });

  it('deducts each redeemed programme once per orderId and programId, however often the order is delivered', async () => {
    const before = (await balances()).points_balance;
    const order = orderWith('D-100', [discount.id, comboDiscount.id]);
    expect((await post('orders', order)).status).toBe(200);
    expect((await post('orders', order)).status).toBe(200);
    for (const option of [discount, comboDiscount]) {
      await expect
        .poll(() => statusOf(deliverectRedemptionId('D-100', option.id)), { timeout: 10_000 })
        .toBe('completed');
    }
    expect((await balances()).points_balance).toBe(before - 250);
    const debits = (await foldLedger(stack.mongo.db, memberId)).entries.filter(
      (entry) => entry.type === 'DEBIT' && String(entry.redemption_id).startsWith('rdm_'),
    );
    expect(
      debits.filter((entry) =>
        [discount, comboDiscount].some((o) => entry.redemption_id === deliverectRedemptionId('D-100', o.id)),
      ),
    ).toHaveLength(2);
    const notification = await new PartnerNotifications(stack.mongo.db).get('deliverect:order:D-100');
    expect(notification).toMatchObject({ state: 'done', kind: 'order' });

    expect(
      (await post('orders/cancel', { orderId: 'D-100', isCancelled: true, cancellationReason: 'customer' })).status,
    ).toBe(200);
    for (const option of [discount, comboDiscount]) {
      await expect
        .poll(() => statusOf(deliverectRedemptionId('D-100', option.id)), { timeout: 10_000 })
        .toBe('refunded');
    }
    expect((await balances()).points_balance).toBe(before);
    await recordHistory(stack.client, 'deliverect-order-cancelled', deliverectOrderWorkflowId('D-100'));
  });

  // Found by the fuzz test (seed 122099617): an orderId that is not well-formed Unicode named its order's workflow with a
  // lone surrogate, which Temporal refused, so the notification was never handed over.
  it('hands over an order and its cancellation whose orderId holds a lone surrogate, as the store keeps that id', async () => {
    const orderId = 'D-\ud800-lone';
    const before = (await balances()).points_balance;
    expect((await post('orders', orderWith(orderId, [discount.id]))).status).toBe(200);
    const id = deliverectRedemptionId(orderId, discount.id);
    await expect.poll(() => statusOf(id), { timeout: 10_000 }).toBe('completed');
    expect((await balances()).points_balance).toBeLessThan(before);
    expect((await post('orders/cancel', { orderId, isCancelled: true })).status).toBe(200);
    await expect.poll(() => statusOf(id), { timeout: 10_000 }).toBe('refunded');
    expect((await balances()).points_balance).toBe(before);
    const notifications = new PartnerNotifications(stack.mongo.db);
    for (const notificationId of ['deliverect:order:D-\ufffd-lone', 'deliverect:cancel:D-\ufffd-lone']) {
      expect((await notifications.get(notificationId))?.state, notificationId).toBe('done');
    }
  });

  it('hands over the order recorded first when the same orderId comes again with other programmes', async () => {
    expect((await post('orders', orderWith('D-resent', [discount.id]))).status).toBe(200);
    expect((await post('orders', orderWith('D-resent', [comboDiscount.id]))).status).toBe(200);
    await expect
      .poll(() => statusOf(deliverectRedemptionId('D-resent', discount.id)), { timeout: 10_000 })
      .toBe('completed');
    const started = await new Redemptions(stack.mongo.db).findByOrderId('D-resent');
    expect(started.map((redemption) => redemption._id)).toEqual([deliverectRedemptionId('D-resent', discount.id)]);
    expect(
      (await stack.api.request(`/v1/redemptions/${deliverectRedemptionId('D-resent', comboDiscount.id)}`)).status,
    ).toBe(404);
  });

  it("keeps the order's subtotal, so part of it can be cancelled through the API, and its cancel refunds the rest", async () => {
    const before = (await balances()).points_balance;
    expect((await post('orders', orderWith('D-part', [discount.id, comboDiscount.id]))).status).toBe(200);
    const discountId = deliverectRedemptionId('D-part', discount.id);
    const comboId = deliverectRedemptionId('D-part', comboDiscount.id);
    for (const id of [discountId, comboId]) {
      await expect.poll(() => statusOf(id), { timeout: 10_000 }).toBe('completed');
    }
    const cancelPart = async (json: unknown) => {
      const res = await stack.api.request('/v1/orders/D-part/cancel?source=deliverect', {
        method: 'POST',
        headers: { 'Idempotency-Key': uniqueName('cancel') },
        json,
      });
      expect(res.status).toBe(200);
      return (await readJson(res)).refunds;
    };
    // Half of the seed's subtotal (1700): half of the order-level programme's 100 points.
    expect(await cancelPart({ amount: 850 })).toEqual([{ id: discountId, points: 50 }]);
    expect(await cancelPart({ items: [{ plu: 'CMB-02', quantity: 1 }] })).toEqual([{ id: comboId, points: 150 }]);
    expect((await balances()).points_balance).toBe(before - 50);

    expect((await post('orders/cancel', { orderId: 'D-part', isCancelled: true })).status).toBe(200);
    await expect.poll(() => statusOf(discountId), { timeout: 10_000 }).toBe('refunded');
    expect((await balances()).points_balance).toBe(before);
    const view = await readJson(await stack.api.request(`/v1/redemptions/${discountId}`));
    expect(view.points_refunded).toBe(100);
  });

  it('answers the order notification before the fulfilling partner has answered', async () => {
    flavours.queue({ status: 200, delayMs: 3_000 });
    const res = await post('orders', orderWith('D-slow', [viaFlavours.id]));
    expect(res.status).toBe(200);
    const id = deliverectRedemptionId('D-slow', viaFlavours.id);
    expect(await statusOf(id).catch(() => 'not yet recorded')).not.toBe('completed');
    await expect.poll(() => statusOf(id), { timeout: 15_000 }).toBe('completed');
  });

  it('refunds an order cancelled while its redemptions are still running', async () => {
    const before = (await balances()).points_balance;
    expect((await post('orders', orderWith('D-race', [discount.id]))).status).toBe(200);
    expect((await post('orders/cancel', { orderId: 'D-race', isCancelled: true })).status).toBe(200);
    await expect
      .poll(() => statusOf(deliverectRedemptionId('D-race', discount.id)), { timeout: 10_000 })
      .toBe('refunded');
    expect((await balances()).points_balance).toBe(before);
  });

  it('rejects a programme whose rules the order does not meet, and ignores programme ids that are not ours', async () => {
    const before = (await balances()).points_balance;
    expect((await post('orders', orderWith('D-small', [bigSpender.id]))).status).toBe(200);
    await expect
      .poll(() => statusOf(deliverectRedemptionId('D-small', bigSpender.id)), { timeout: 10_000 })
      .toBe('rejected');
    const detail = await readJson(
      await stack.api.request(`/v1/redemptions/${deliverectRedemptionId('D-small', bigSpender.id)}`),
    );
    expect(detail.reason).toBe('min_subtotal_not_met');
    const foreign = orderWith('D-foreign', []);
    foreign.order.discounts = [{ name: 'theirs', programId: 'abc-123', type: 'discount_amount', amount: 100 }];
    expect((await post('orders', foreign)).status).toBe(200);
    expect((await balances()).points_balance).toBe(before);
  });

  it('keeps any JSON Deliverect sends exactly as received, and redeems from it', async () => {
    let nested: unknown = 'deep';
    for (let level = 0; level < 150; level++) nested = { level: nested };
    const extras = {
      tags: [['a'], ['b', ['c']]],
      'dotted.key': 1,
      $dollar: true,
      'nul\u0000key': 'x',
      nested,
    };
    const order = { ...orderWith('D-odd', [discount.id], { extras }), ...extras };
    expect((await post('orders', order)).status).toBe(200);
    await expect
      .poll(() => statusOf(deliverectRedemptionId('D-odd', discount.id)), { timeout: 10_000 })
      .toBe('completed');
    const stored = await new PartnerNotifications(stack.mongo.db).get('deliverect:order:D-odd');
    expect(stored?.raw).toBe(JSON.stringify(order));

    expect((await post('orders/cancel', { orderId: 'D-odd', isCancelled: true, ...extras })).status).toBe(200);
    await expect
      .poll(() => statusOf(deliverectRedemptionId('D-odd', discount.id)), { timeout: 10_000 })
      .toBe('refunded');
  });

  it('refunds a cancellation that arrived before its order, once the order arrives', async () => {
    const before = (await balances()).points_balance;
    expect((await post('orders/cancel', { orderId: 'D-early', isCancelled: true })).status).toBe(200);
    expect((await new PartnerNotifications(stack.mongo.db).get('deliverect:cancel:D-early'))?.state).not.toBe('done');
    expect((await post('orders', orderWith('D-early', [discount.id]))).status).toBe(200);
    await expect
      .poll(() => statusOf(deliverectRedemptionId('D-early', discount.id)), { timeout: 10_000 })
      .toBe('refunded');
    expect((await balances()).points_balance).toBe(before);
    await expect
      .poll(async () => (await new PartnerNotifications(stack.mongo.db).get('deliverect:cancel:D-early'))?.state)
      .toBe('done');
    await recordHistory(stack.client, 'deliverect-cancel-before-order', deliverectOrderWorkflowId('D-early'));
  });

  it('refuses malformed bodies with 400 naming the fields', async () => {
    const noOrderId = await post('orders', SEED_REQUEST);
    expect(noOrderId.status).toBe(400);
    expect((await readJson(noOrderId)).error.details.map((detail: any) => detail.path)).toContain('orderId');
    const badCancel = await post('orders/cancel', { orderId: '', isCancelled: 'yes' });
    expect(badCancel.status).toBe(400);
    const paths = (await readJson(badCancel)).error.details.map((detail: any) => detail.path);
    expect(paths).toEqual(expect.arrayContaining(['orderId', 'isCancelled']));
  });

  it('finishes at start-up a notification that was recorded but not handed over', async () => {
    const notifications = new PartnerNotifications(stack.mongo.db);
    const order = orderWith('D-crashed', [discount.id]);
    await notifications.record({
      _id: 'deliverect:order:D-crashed',
      partner: 'deliverect',
      kind: 'order',
      raw: JSON.stringify(order),
      order_id: 'D-crashed',
      redemption_ids: [deliverectRedemptionId('D-crashed', discount.id)],
    });
    const inbox = newInbox();
    expect(await inbox.handOverPending()).toBe(1);
    await expect
      .poll(() => statusOf(deliverectRedemptionId('D-crashed', discount.id)), { timeout: 10_000 })
      .toBe('completed');
    expect(await inbox.handOverPending()).toBe(0);
  });

  /** Records a Deliverect order for the discount as the webhook does, without handing it over. */
  const recordOrderNotification = (orderId: string) =>
    new PartnerNotifications(stack.mongo.db).record({
      _id: `deliverect:order:${orderId}`,
      partner: 'deliverect',
      kind: 'order',
      raw: JSON.stringify(orderWith(orderId, [discount.id])),
      order_id: orderId,
      redemption_ids: [deliverectRedemptionId(orderId, discount.id)],
    });

  /** Waits for the redemption a Deliverect order started for the discount to complete. */
  const completionOf = (orderId: string) =>
    expect
      .poll(() => statusOf(deliverectRedemptionId(orderId, discount.id)).catch(() => 'not yet'), { timeout: 10_000 })
      .toBe('completed');

  it('keeps resuming unfinished notifications while it runs, not only at start-up', async () => {
    const inbox = newInbox();
    const stop = inbox.handOverContinuously(200);
    try {
      await recordOrderNotification('D-later');
      await completionOf('D-later');
    } finally {
      stop();
    }
  });

  const deadLetters = async () =>
    (await readJson(await stack.api.request('/v1/partner-notifications/dead-letters?per_page=100'))).data as any[];
  const deadLetterOf = async (id: string) => (await deadLetters()).find((letter) => letter.id === id);

  it('answers a notification it has stored 200 while Temporal is down, and hands it over once Temporal answers', async () => {
    // An API process whose Temporal cannot be reached; the store is the stack's.
    // No gRPC retries, so that nothing is left calling once the connection is closed.
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', interceptors: [] }) });
    const offline = await composeApi(stack.config, {
      logger: testLogger,
      services: { mongo: stack.mongo, temporal: unreachable },
      port: 0,
    });
    try {
      const raw = JSON.stringify(orderWith('D-offline', [discount.id]));
      const started = Date.now();
      const res = await fetch(`${offline.url}/webhooks/deliverect/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-server-authorization-hmac-sha256': sign(raw) },
        body: raw,
        signal: AbortSignal.timeout(5_000),
      });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await offline.close();
      await unreachable.connection.close().catch(() => undefined);
    }
    expect(await new PartnerNotifications(stack.mongo.db).get('deliverect:order:D-offline')).toMatchObject({
      state: 'received',
    });
    // This process reaches Temporal: its next pass hands the order over.
    expect(await newInbox().handOverPending()).toBeGreaterThanOrEqual(1);
    await completionOf('D-offline');
  });

  it('gives the dead letters a notification Temporal has not taken by the hand-off deadline, and no younger one', async () => {
    const notifications = new PartnerNotifications(stack.mongo.db);
    for (const orderId of ['D-never-taken', 'D-not-yet-taken']) {
      await recordOrderNotification(orderId);
    }
    const overdue = new Date(Date.now() - stack.config.deliverect.handOffDeadlineMs - 1_000);
    await stack.mongo.db
      .collection<{ _id: string }>('partner_notifications')
      .updateOne({ _id: 'deliverect:order:D-never-taken' }, { $set: { received_at: overdue } });
    // An API process whose Temporal refuses every hand-over.
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', interceptors: [] }) });
    try {
      const offline = createApplication({
        config: stack.config,
        db: stack.mongo.db,
        temporal: unreachable,
        logger: testLogger,
      }).deliverect;
      expect(await offline.handOverPending()).toBe(0);
    } finally {
      await unreachable.connection.close().catch(() => undefined);
    }
    expect(await deadLetterOf('deliverect:order:D-never-taken')).toMatchObject({ reason: 'hand_off_failed' });
    expect(await notifications.get('deliverect:order:D-not-yet-taken')).toMatchObject({ state: 'received' });
    // The younger one is handed over by a process that reaches Temporal.
    await newInbox().handOverPending();
    await completionOf('D-not-yet-taken');
  });

  it('gives a notification that cannot be handed over to the dead letters, and goes on with the others', async () => {
    const notifications = new PartnerNotifications(stack.mongo.db);
    // Recorded first: the pass meets it before the good one.
    await notifications.record({
      _id: 'deliverect:order:D-garbled',
      partner: 'deliverect',
      kind: 'order',
      raw: '{"orderId": "D-garbled", "order": ',
      order_id: 'D-garbled',
      redemption_ids: [],
    });
    await recordOrderNotification('D-after-garbled');
    await newInbox()
      .handOverPending()
      .catch(() => undefined);
    await completionOf('D-after-garbled');
    await expect
      .poll(() => deadLetterOf('deliverect:order:D-garbled'), { timeout: 10_000 })
      .toMatchObject({
        partner: 'deliverect',
        kind: 'order',
        order_id: 'D-garbled',
        reason: 'notification_unreadable',
        message: expect.any(String),
        received_at: expect.any(String),
        dead_lettered_at: expect.any(String),
      });
    const metrics = await scrape(`${stack.api.url}/metrics`);
    expect(sampleSum(metrics, 'partner_inbox_dead_letters', { partner: 'deliverect' })).toBeGreaterThanOrEqual(1);
  });

  it('gives a cancellation of an order it never saw to the dead letters once DELIVERECT_ORPHAN_CANCEL_TTL_SECONDS pass', async () => {
    expect((await post('orders/cancel', { orderId: 'D-never', isCancelled: true })).status).toBe(200);
    expect(await deadLetterOf('deliverect:cancel:D-never')).toBeUndefined();
    await expect
      .poll(() => deadLetterOf('deliverect:cancel:D-never'), { timeout: (ORPHAN_TTL_SECONDS + 10) * 1000 })
      .toMatchObject({ kind: 'cancel', order_id: 'D-never', reason: 'order_never_seen' });
    await recordHistory(stack.client, 'deliverect-cancel-never-ordered', deliverectOrderWorkflowId('D-never'));
  });

  it('tells of a refund its redemption refused, instead of marking the cancellation done', async () => {
    expect((await post('orders', orderWith('D-late', [discount.id]))).status).toBe(200);
    const id = deliverectRedemptionId('D-late', discount.id);
    await expect.poll(() => statusOf(id), { timeout: 10_000 }).toBe('completed');
    // Completed long ago: past the refund window, so its orders workflow refuses the refund.
    const longAgo = new Date(Date.now() - 2 * stack.config.orderRefundWindowSeconds * 1000).toISOString();
    await stack.mongo.db.collection('redemptions').updateOne({ _id: id as never }, { $set: { completed_at: longAgo } });
    expect((await post('orders/cancel', { orderId: 'D-late', isCancelled: true })).status).toBe(200);
    const settled = async () => (await new PartnerNotifications(stack.mongo.db).get('deliverect:cancel:D-late'))?.state;
    await expect.poll(settled, { timeout: 15_000 }).toSatisfy((state) => state === 'done' || state === 'dead_letter');
    expect(await settled()).toBe('dead_letter');
    expect(await deadLetterOf('deliverect:cancel:D-late')).toMatchObject({ reason: 'refund_window_passed' });
    expect(await statusOf(id)).toBe('completed');
  });

  describe('order ids belong to their source', () => {
    const heldCoupon = async () => {
      const option = await createOption(stack.mongo.db, { currency: 'EUR', cost_points: 100 });
      const res = await stack.api.request('/v1/redemptions', {
        method: 'POST',
        json: {
          customer_email: SEED_REQUEST.order.customer.email,
          redemption_option_id: option.id,
          delay_points_deduction: true,
        },
      });
      expect(res.status).toBe(201);
      return readJson(res);
    };
    const orderThroughApi = async (orderId: string) => {
      const coupon = await heldCoupon();
      const res = await stack.api.request('/v1/orders', {
        method: 'POST',
        json: { order_id: orderId, coupon_code: coupon.coupon_code },
      });
      expect(res.status).toBe(200);
      return coupon.id as string;
    };
    /** Deliverect cancels an order it never sent: once the cancellation is settled, the redemption must be untouched. */
    const cancelThroughDeliverect = async (orderId: string, redemptionId: string) => {
      expect((await post('orders/cancel', { orderId, isCancelled: true })).status).toBe(200);
      const settled = async () =>
        (await new PartnerNotifications(stack.mongo.db).get(`deliverect:cancel:${orderId}`))?.state;
      await expect
        .poll(settled, { timeout: (ORPHAN_TTL_SECONDS + 10) * 1000 })
        .toSatisfy((state) => state === 'done' || state === 'dead_letter');
      expect(await statusOf(redemptionId)).toBe('completed');
      // It waited for an order of Deliverect's, which never came.
      expect(await deadLetterOf(`deliverect:cancel:${orderId}`)).toMatchObject({ reason: 'order_never_seen' });
    };

    it('an order captured through the API is not cancelled by Deliverect', async () => {
      await cancelThroughDeliverect('SRC-api', await orderThroughApi('SRC-api'));
    });

    it('an order a till redeemed is not cancelled by Deliverect', async () => {
      const coupon = await heldCoupon();
      const redeemed = await fetch(`${stack.api.url}/webhooks/flavours/redeem_reward`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'api-token': 'flavours-inbound' },
        body: JSON.stringify({
          reward_code: coupon.coupon_code,
          business_refrence: 'dev',
          branch_id: 'branch-1',
          date: '2026-11-22 18:30:00',
          timestamp: '1795379400',
        }),
      });
      expect(redeemed.status).toBe(200);
      await expect.poll(() => statusOf(coupon.id), { timeout: 10_000 }).toBe('completed');
      await cancelThroughDeliverect(`flavours:${coupon.coupon_code}`, coupon.id);
    });

    it("a Deliverect order is not cancelled through the API unless named as Deliverect's", async () => {
      expect((await post('orders', orderWith('SRC-deliverect', [discount.id]))).status).toBe(200);
      const id = deliverectRedemptionId('SRC-deliverect', discount.id);
      await expect.poll(() => statusOf(id), { timeout: 10_000 }).toBe('completed');
      const cancel = (query = '') => stack.api.request(`/v1/orders/SRC-deliverect/cancel${query}`, { method: 'POST' });
      const refused = await cancel();
      expect(refused.status).toBe(404);
      expect((await readJson(refused)).error.code).toBe('order_not_found');
      expect(await statusOf(id)).toBe('completed');
      expect((await cancel('?source=deliverect')).status).toBe(200);
      expect(await statusOf(id)).toBe('refunded');
    });

    it('the same id from the API and from Deliverect names two orders, each cancelled through its own source', async () => {
      const fromApi = await orderThroughApi('SRC-both');
      expect((await post('orders', orderWith('SRC-both', [discount.id]))).status).toBe(200);
      const fromDeliverect = deliverectRedemptionId('SRC-both', discount.id);
      await expect.poll(() => statusOf(fromDeliverect), { timeout: 10_000 }).toBe('completed');

      expect((await stack.api.request('/v1/orders/SRC-both/cancel', { method: 'POST' })).status).toBe(200);
      expect([await statusOf(fromApi), await statusOf(fromDeliverect)]).toEqual(['refunded', 'completed']);
      expect((await post('orders/cancel', { orderId: 'SRC-both', isCancelled: true })).status).toBe(200);
      await expect.poll(() => statusOf(fromDeliverect), { timeout: 10_000 }).toBe('refunded');
    });
  });

  it('marks a programme not applicable once its limit has no room for the member, and applicable again when it does', async () => {
    const db = stack.mongo.db;
    const onceEach = await createOption(db, {
      currency: 'EUR',
      type: 'discount_amount',
      item_plu: undefined,
      cost_points: 10,
      discount: 10,
      limits: { per_member: { count: 1, period: 'lifetime' } },
    });
    const lastOne = await createOption(db, {
      currency: 'EUR',
      type: 'discount_amount',
      item_plu: undefined,
      cost_points: 10,
      discount: 10,
      limits: { stock: 1 },
    });
    const applicability = async () => {
      const programs = await readJson(await post('loyalty-programs', SEED_REQUEST));
      const applicable = (option: RedemptionOption) =>
        programs.find((program: any) => program.programId === String(option.id))?.applicable;
      return [applicable(onceEach), applicable(lastOne)];
    };
    expect(await applicability()).toEqual([true, true]);

    const redeem = (option: RedemptionOption, delayed: boolean) =>
      stack.api.request('/v1/redemptions', {
        method: 'POST',
        headers: { 'Idempotency-Key': `limits-${option.id}` },
        json: {
          customer_email: SEED_REQUEST.order.customer.email,
          redemption_option_id: option.id,
          delay_points_deduction: delayed,
        },
      });
    expect((await redeem(onceEach, false)).status).toBe(201);
    const held = await readJson(await redeem(lastOne, true));
    expect(held.status).toBe('awaiting_order');
    expect(await applicability()).toEqual([false, false]);

    // The held coupon is cancelled: its slot in the stock is free again.
    expect((await stack.api.request(`/v1/redemptions/${held.id}/cancel`, { method: 'POST' })).status).toBe(200);
    expect(await applicability()).toEqual([false, true]);
  });
});
