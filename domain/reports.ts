/**
 * The redemptions report: redemptions created in a UTC range, counted and summed by day, option, partner or status,
 * in the terms of the ledger (points spent = DEBIT + CAPTURE, points refunded = REFUND), so that a merchant can
 * reconcile the two.
 */
import type { RedemptionStatus } from './states';

export const REPORT_GROUPS = ['day', 'option', 'partner', 'status'] as const;
export type ReportGroup = (typeof REPORT_GROUPS)[number];

/** The longest range one report reads: a year, leap day included. */
export const MAX_REPORT_DAYS = 366;
/** The window a report covers when `from` or `to` is left out. */
export const DEFAULT_REPORT_DAYS = 30;

const DAY_MS = 24 * 3600 * 1000;

/** The UTC day of an instant, as stored in a redemption's `created_day`: `2026-11-27`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function startOfUtcDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

/** The midnight (UTC) that starts a day of any year: Date.UTC would read years 0 to 99 as 1900 to 1999. */
function utcMidnight(year: number, month: number, day: number): Date {
  const at = new Date(Date.UTC(2000, month - 1, day));
  at.setUTCFullYear(year, month - 1, day);
  return at;
}

/**
 * The one rule of report bounds. A bound is written as a date (`2026-11-27`, its midnight UTC) or a date-time with its
 * offset (`2026-11-27T09:30:00Z`), each in the years 0000 to 9999 as written: exactly what REPORT_BOUND matches, which
 * the OpenAPI document carries as the pattern. A range is read within the years 0001 to 9999 (UTC), where every day
 * has its `YYYY-MM-DD` key and redemptions can have been created: a bound beyond (year 0, or the end of 9999 crossed by
 * an offset or a default) counts as that limit.
 */
export const REPORT_EARLIEST = utcMidnight(1, 1, 1);
export const REPORT_LATEST = new Date(utcMidnight(10_000, 1, 1).getTime() - 1);

const YEAR = '\\d{4}';
const LEAP_YEAR = '(?:\\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
const MONTH_DAY =
  '(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))';
const DATE = `(?:${YEAR}-${MONTH_DAY}|${LEAP_YEAR}-02-29)`;
const HOUR = '(?:[01]\\d|2[0-3])';
const MINUTE = '[0-5]\\d';
const TIME = `${HOUR}:${MINUTE}(?::${MINUTE}(?:\\.\\d{1,9})?)?(?:Z|[+-]${HOUR}:${MINUTE})`;
export const REPORT_BOUND = new RegExp(`^${DATE}(?:T${TIME})?$`);

/** A bound of a report's range as written (see REPORT_BOUND), not yet brought within the years read; else undefined. */
export function parseInstant(text: string): Date | undefined {
  if (!REPORT_BOUND.test(text)) return undefined;
  if (text.length > 10) return new Date(text);
  const [year, month, day] = text.split('-').map(Number) as [number, number, number];
  return utcMidnight(year, month, day);
}

function withinReadYears(at: Date): Date {
  return new Date(Math.min(Math.max(at.getTime(), REPORT_EARLIEST.getTime()), REPORT_LATEST.getTime()));
}

/** The UTC days that [from, to) touches, oldest first. */
export function daysOf(from: Date, to: Date): string[] {
  const days: string[] = [];
  for (let day = startOfUtcDay(from); day < to; day = new Date(day.getTime() + DAY_MS)) days.push(utcDay(day));
  return days;
}

/**
 * The range a report covers: `to` defaults to the start of tomorrow (UTC) or to `from` + 30 days, `from` to `to` −
 * 30 days; refused, with the reason, when longer than MAX_REPORT_DAYS.
 */
export function reportRange(
  given: { from?: Date; to?: Date },
  now: Date,
): { from: Date; to: Date } | { tooLong: string } {
  const window = DEFAULT_REPORT_DAYS * DAY_MS;
  const to = withinReadYears(
    given.to ?? new Date(given.from ? given.from.getTime() + window : startOfUtcDay(now).getTime() + DAY_MS),
  );
  const from = withinReadYears(given.from ?? new Date(to.getTime() - window));
  if (to.getTime() - from.getTime() > MAX_REPORT_DAYS * DAY_MS) {
    return { tooLong: `A report covers at most ${MAX_REPORT_DAYS} days; ask for a shorter range.` };
  }
  return { from, to };
}

/** What the report reads of a redemption. */
export interface ReportedRedemption {
  created_at: Date;
  created_day: string;
  status: RedemptionStatus;
  points: number | null;
  partner: string | null;
  redemption_option_id: number;
  /** Points given back by cancellations of its order, when any were (partial refunds included). */
  points_refunded?: number;
}

export interface ReportRow {
  key: string;
  /** Redemptions created in the range, whatever became of them. */
  count: number;
  /** Points still spent: points_spent − points_refunded. */
  points: number;
  /** Points the ledger debited or captured for them. */
  points_spent: number;
  /** Points the ledger refunded to members: compensated and refunded redemptions, and partly cancelled orders. */
  points_refunded: number;
}

export type ReportTotals = Omit<ReportRow, 'key'>;

/** Statuses whose redemption's points were debited or captured (the ledger's DEBIT or CAPTURE). */
const SPENT: ReadonlySet<RedemptionStatus> = new Set([
  'redeeming',
  'needs_review',
  'completed',
  'compensated',
  'refunded',
]);
/** Statuses whose points came back in full (the ledger's REFUND), for redemptions that do not count them. */
const REFUNDED: ReadonlySet<RedemptionStatus> = new Set(['compensated', 'refunded']);

function keyOf(redemption: ReportedRedemption, group: ReportGroup): string {
  switch (group) {
    case 'day':
      return redemption.created_day;
    case 'option':
      return String(redemption.redemption_option_id);
    case 'partner':
      return redemption.partner ?? 'none';
    case 'status':
      return redemption.status;
  }
}

const emptyTotals = (): ReportTotals => ({ count: 0, points: 0, points_spent: 0, points_refunded: 0 });

/** Adds redemptions one at a time (a day's worth is read, added and dropped), then gives the rows and totals. */
export class ReportTally {
  private readonly rows = new Map<string, ReportTotals>();
  private readonly totals = emptyTotals();

  constructor(
    private readonly group: ReportGroup,
    /** Days listed even without redemptions, when grouping by day. */
    days: string[] = [],
  ) {
    if (group === 'day') for (const day of days) this.rows.set(day, emptyTotals());
  }

  add(redemption: ReportedRedemption): void {
    const key = keyOf(redemption, this.group);
    const row = this.rows.get(key) ?? emptyTotals();
    this.rows.set(key, row);
    const points = redemption.points ?? 0;
    const spent = SPENT.has(redemption.status) ? points : 0;
    const refunded = redemption.points_refunded ?? (REFUNDED.has(redemption.status) ? points : 0);
    for (const totals of [row, this.totals]) {
      totals.count += 1;
      totals.points_spent += spent;
      totals.points_refunded += refunded;
      totals.points += spent - refunded;
    }
  }

  result(): { rows: ReportRow[]; totals: ReportTotals } {
    const numeric = this.group === 'option';
    const rows = [...this.rows.entries()]
      .map(([key, totals]) => ({ key, ...totals }))
      .sort((a, b) => (numeric ? Number(a.key) - Number(b.key) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { rows, totals: { ...this.totals } };
  }
}

const CSV_COLUMNS = ['count', 'points', 'points_spent', 'points_refunded'] as const;

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows as RFC 4180 CSV: a header row (the first column named by the grouping), CRLF line ends. */
export function reportCsv(group: ReportGroup, rows: ReportRow[]): string {
  const lines = [[group, ...CSV_COLUMNS], ...rows.map((row) => [row.key, ...CSV_COLUMNS.map((column) => row[column])])];
  return lines.map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n';
}
