/**
 * The redemptions report over real redemptions (run through the stack today) and an imported history (on past days):
 * counts and points by day, option, partner and status, the CSV export, and the refusals of bad parameters.
 */
import { RedemptionHistory } from '../../store/redemption-history';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../../domain/reports';
import type { RedemptionStatus } from '../../domain/states';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { readJson, startTestStack, type TestStack } from '../harness/stack';
import { fulfilledByStub, startStubPartner, type StubPartner } from '../harness/stub-partner';

/** Parses RFC 4180 CSV (quoted fields, CRLF line ends) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index++;
    } else field += char;
  }
  return rows;
}

describe('redemptions report', () => {
  let stack: TestStack;
  let partner: StubPartner;
  let plainOption: number;
  let partnerOption: number;
  const today = utcDay(new Date());

  const report = async (query: string, headers: Record<string, string> = {}) => {
    const res = await stack.api.request(`/v1/reports/redemptions?${query}`, { headers });
    return {
      res,
      body: res.headers.get('content-type')?.startsWith('text/csv') ? await res.text() : await readJson(res),
    };
  };
  const redeem = async (body: Record<string, unknown>) =>
    readJson(await stack.api.request('/v1/redemptions', { method: 'POST', json: body }));

  beforeAll(async () => {
    partner = await startStubPartner();
    stack = await startTestStack({
      env: fulfilledByStub(partner),
    });
    const db = stack.mongo.db;
    plainOption = (await createOption(db, { cost_points: 100 })).id;
    partnerOption = (await createOption(db, { cost_points: 150, partner: 'flavours' })).id;
    const member = await createMemberWithPoints(db, 2_000);
    const poor = await createMemberWithPoints(db, 50);
    const as = (option: number, extra: Record<string, unknown> = {}) => ({
      customer_email: member.email,
      redemption_option_id: option,
      ...extra,
    });

    expect((await redeem(as(plainOption))).status).toBe('completed');
    expect((await redeem(as(plainOption))).status).toBe('completed');
    expect((await redeem(as(partnerOption))).status).toBe('completed');
    partner.queue({ status: 400, body: { error: 'refused' } });
    expect((await redeem(as(partnerOption))).error.code).toBe('partner_redeem_failed');
    expect((await redeem({ ...as(plainOption), customer_email: poor.email })).error.code).toBe('insufficient_points');
    expect((await redeem(as(plainOption, { delay_points_deduction: true }))).status).toBe('awaiting_order');
    const toCancel = await redeem(as(plainOption, { delay_points_deduction: true }));
    await stack.api.request(`/v1/redemptions/${toCancel.id}/cancel`, { method: 'POST' });

    // A merchant's history, imported: two days in March 2025.
    const imported = (id: string, at: string, status: RedemptionStatus, points: number) => ({
      document: {
        _id: id,
        request_hash: 'imported',
        request: { customer_email: member.email!, redemption_option_id: plainOption, delay_points_deduction: false },
        member_id: member._id,
        redemption_option_id: plainOption,
        points,
        delay_points_deduction: false,
        currency: 'SAR',
        coupon_code: null,
        status,
        reason: null,
        partner: null,
        order_id: null,
        expires_at: null,
        created_at: new Date(at),
        updated_at: new Date(at),
        version: 3,
      },
      events: [],
    });
    await new RedemptionHistory(db).importMany([
      imported('rdm_hist1', '2025-03-10T09:00:00Z', 'completed', 100),
      imported('rdm_hist2', '2025-03-10T18:00:00Z', 'completed', 300),
      imported('rdm_hist3', '2025-03-11T23:59:59Z', 'refunded', 200),
      imported('rdm_hist4', '2025-03-13T00:00:00Z', 'completed', 500),
    ]);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await partner?.close();
  });

  it('counts every redemption of the range by status, with the points each status spent and refunded', async () => {
    const { res, body } = await report(`from=${today}&group_by=status`);
    expect(res.status).toBe(200);
    expect(body.group_by).toBe('status');
    expect(body.rows).toEqual([
      { key: 'awaiting_order', count: 1, points: 0, points_spent: 0, points_refunded: 0 },
      { key: 'cancelled', count: 1, points: 0, points_spent: 0, points_refunded: 0 },
      { key: 'compensated', count: 1, points: 0, points_spent: 150, points_refunded: 150 },
      { key: 'completed', count: 3, points: 350, points_spent: 350, points_refunded: 0 },
      { key: 'rejected', count: 1, points: 0, points_spent: 0, points_refunded: 0 },
    ]);
    expect(body.totals).toEqual({ count: 7, points: 350, points_spent: 500, points_refunded: 150 });
  });

  it('groups by option and by partner', async () => {
    const byOption = await report(`from=${today}&group_by=option`);
    expect(byOption.body.rows).toEqual([
      { key: String(plainOption), count: 5, points: 200, points_spent: 200, points_refunded: 0 },
      { key: String(partnerOption), count: 2, points: 150, points_spent: 300, points_refunded: 150 },
    ]);
    const byPartner = await report(`from=${today}&group_by=partner`);
    expect(byPartner.body.rows).toEqual([
      { key: 'flavours', count: 2, points: 150, points_spent: 300, points_refunded: 150 },
      { key: 'none', count: 5, points: 200, points_spent: 200, points_refunded: 0 },
    ]);
  });

  it('groups by day (the default), listing every day of the range, `to` exclusive', async () => {
    const { body } = await report('from=2025-03-10&to=2025-03-13');
    expect(body).toMatchObject({ from: '2025-03-10T00:00:00.000Z', to: '2025-03-13T00:00:00.000Z', group_by: 'day' });
    expect(body.rows).toEqual([
      { key: '2025-03-10', count: 2, points: 400, points_spent: 400, points_refunded: 0 },
      { key: '2025-03-11', count: 1, points: 0, points_spent: 200, points_refunded: 200 },
      { key: '2025-03-12', count: 0, points: 0, points_spent: 0, points_refunded: 0 },
    ]);
    const fromNoon = await report('from=2025-03-10T12:00:00Z&to=2025-03-12T03:00:00%2B03:00');
    expect(fromNoon.body.totals).toEqual({ count: 2, points: 300, points_spent: 500, points_refunded: 200 });
    const defaults = await report('');
    expect(defaults.body.to).toBe(new Date(Date.parse(today) + 24 * 3600 * 1000).toISOString());
    expect(defaults.body.rows).toHaveLength(30);
    expect(defaults.body.totals.count).toBe(7);
  });

  it('counts a redemption stored before created_day existed once it is backfilled', async () => {
    const legacy = {
      _id: 'rdm_legacy',
      status: 'completed',
      points: 700,
      partner: null,
      redemption_option_id: plainOption,
      created_at: new Date('2025-03-12T08:00:00Z'),
    };
    await stack.mongo.db.collection<{ _id: string }>('redemptions').insertOne(legacy);
    const day = async () => (await report('from=2025-03-12&to=2025-03-13')).body.totals.count;
    expect(await day()).toBe(0);
    expect(await new RedemptionHistory(stack.mongo.db).backfillCreatedDay()).toBe(1);
    expect(await day()).toBe(1);
    expect(await new RedemptionHistory(stack.mongo.db).backfillCreatedDay()).toBe(0);
    await stack.mongo.db.collection<{ _id: string }>('redemptions').deleteOne({ _id: 'rdm_legacy' });
  });

  it('exports CSV with a header row and a filename, which parses back to the same numbers', async () => {
    const json = await report('from=2025-03-10&to=2025-03-14&group_by=day');
    const { res, body } = await report('from=2025-03-10&to=2025-03-14&group_by=day', { accept: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="?redemptions-by-day-2025-03-10-2025-03-14\.csv"?$/,
    );
    const [header, ...rows] = parseCsv(body);
    expect(header).toEqual(['day', 'count', 'points', 'points_spent', 'points_refunded']);
    expect(
      rows.map(([key, ...numbers]) => ({
        key,
        ...Object.fromEntries(header!.slice(1).map((name, i) => [name, Number(numbers[i])])),
      })),
    ).toEqual(json.body.rows);
    const byStatus = await report(`from=${today}&group_by=status`, { accept: 'text/csv' });
    expect(parseCsv(byStatus.body)[0]![0]).toBe('status');
  });

  it('answers 400 with details for bad parameters, and 422 for a range longer than a year', async () => {
    for (const [query, path] of [
      ['group_by=week', 'group_by'],
      ['from=yesterday', 'from'],
      ['from=2025-02-30', 'from'],
      ['to=2025-03-10T10:00:00', 'to'],
      ['from=2025-03-10&to=2025-03-10', 'to'],
      ['from=2025-03-11&to=2025-03-10', 'to'],
    ]) {
      const { res, body } = await report(query!);
      expect(res.status, query).toBe(400);
      expect(body.error.code).toBe('invalid_request');
      expect(
        body.error.details.map((detail: any) => detail.path),
        query,
      ).toContain(path);
    }
    const tooLong = await report('from=2024-01-01&to=2025-01-02');
    expect(tooLong.res.status).toBe(422);
    expect(tooLong.body.error.code).toBe('report_range_too_long');
    expect((await report('from=2024-01-01&to=2025-01-01')).res.status).toBe(200);
  });
});
