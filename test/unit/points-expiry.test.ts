import { describe, expect, it } from 'vitest';
import {
  EMPTY_SCHEDULE,
  addLots,
  defaultExpiry,
  pointsExpiring,
  refundedLots,
  scheduleAfter,
  scheduleBeforeExpiry,
  type PointsSchedule,
  type ScheduleChange,
} from '../../domain/points-expiry';

const JAN = '2027-01-01T00:00:00.000Z';
const FEB = '2027-02-01T00:00:00.000Z';
const MAR = '2027-03-01T00:00:00.000Z';
const NOW = '2026-12-06T10:00:00.000Z';

function after(schedule: PointsSchedule, ...changes: ScheduleChange[]): PointsSchedule {
  return changes.reduce((current, change) => scheduleAfter(current, change, NOW).schedule, schedule);
}

const earned = after(
  EMPTY_SCHEDULE,
  { kind: 'add', lots: [{ expires_at: null, points: 100 }] },
  { kind: 'add', lots: [{ expires_at: FEB, points: 50 }] },
  { kind: 'add', lots: [{ expires_at: JAN, points: 30 }] },
  { kind: 'add', lots: [{ expires_at: FEB, points: 20 }] },
);

describe('the expiry schedule', () => {
  it('keeps lots soonest first, never-expiring last, with lots of the same date merged', () => {
    expect(earned.free).toEqual([
      { expires_at: JAN, points: 30 },
      { expires_at: FEB, points: 70 },
      { expires_at: null, points: 100 },
    ]);
  });

  it('spends the soonest-expiring points first and never-expiring points last, and says which it took', () => {
    const step = scheduleAfter(earned, { kind: 'spend', points: 110 }, NOW);
    expect(step.taken).toEqual([
      { expires_at: JAN, points: 30 },
      { expires_at: FEB, points: 70 },
      { expires_at: null, points: 10 },
    ]);
    expect(step.schedule.free).toEqual([{ expires_at: null, points: 90 }]);
    expect(step.expired).toBe(0);
  });

  it('holds points with their dates for the redemption, and a capture takes exactly those', () => {
    const held = after(earned, { kind: 'hold', redemptionId: 'r1', points: 40 });
    expect(held.free).toEqual([
      { expires_at: FEB, points: 60 },
      { expires_at: null, points: 100 },
    ]);
    expect(held.held).toEqual([
      {
        redemption_id: 'r1',
        lots: [
          { expires_at: JAN, points: 30 },
          { expires_at: FEB, points: 10 },
        ],
      },
    ]);
    const captured = scheduleAfter(held, { kind: 'capture', redemptionId: 'r1', points: 40 }, NOW);
    expect(captured.taken).toEqual(held.held[0]!.lots);
    expect(captured.schedule).toEqual({ free: held.free, held: [] });
  });

  it('gives held points back on release, and expires at once those whose date passed while held', () => {
    const held = after(earned, { kind: 'hold', redemptionId: 'r1', points: 40 });
    const before = scheduleAfter(held, { kind: 'release', redemptionId: 'r1', points: 40 }, NOW);
    expect(before.expired).toBe(0);
    expect(before.schedule).toEqual({ free: earned.free, held: [] });
    const late = scheduleAfter(held, { kind: 'release', redemptionId: 'r1', points: 40 }, '2027-01-15T00:00:00.000Z');
    expect(late.expired).toBe(30);
    expect(late.schedule.free).toEqual([
      { expires_at: FEB, points: 70 },
      { expires_at: null, points: 100 },
    ]);
  });

  it('treats a hold made before points expired as never-expiring points', () => {
    const legacy = scheduleBeforeExpiry(60);
    const step = scheduleAfter(legacy, { kind: 'release', redemptionId: 'old', points: 40 }, NOW);
    expect(step.expired).toBe(0);
    expect(step.schedule.free).toEqual([{ expires_at: null, points: 100 }]);
  });

  it('expires what is left of one date, and nothing of the others', () => {
    const spent = after(earned, { kind: 'spend', points: 20 });
    const step = scheduleAfter(spent, { kind: 'expire', expiresAt: JAN }, JAN);
    expect(step.expired).toBe(10);
    expect(step.schedule.free).toEqual([
      { expires_at: FEB, points: 70 },
      { expires_at: null, points: 100 },
    ]);
    expect(scheduleAfter(step.schedule, { kind: 'expire', expiresAt: JAN }, JAN).expired).toBe(0);
  });

  it('gives back refunded points with their dates, those past their date as already expired', () => {
    const step = scheduleAfter(
      EMPTY_SCHEDULE,
      {
        kind: 'give back',
        lots: [
          { expires_at: '2026-12-01T00:00:00.000Z', points: 25 },
          { expires_at: MAR, points: 5 },
        ],
      },
      NOW,
    );
    expect(step.expired).toBe(25);
    expect(step.schedule.free).toEqual([{ expires_at: MAR, points: 5 }]);
  });

  it('refunds the points spent last first, part by part, and never-expiring points for spending it has no record of', () => {
    const spent = [
      { expires_at: JAN, points: 30 },
      { expires_at: FEB, points: 70 },
    ];
    expect(refundedLots(spent, 0, 50)).toEqual([{ expires_at: FEB, points: 50 }]);
    expect(refundedLots(spent, 50, 40)).toEqual([
      { expires_at: FEB, points: 20 },
      { expires_at: JAN, points: 20 },
    ]);
    expect(refundedLots([], 0, 15)).toEqual([{ expires_at: null, points: 15 }]);
  });

  it('shows the next three dates with their amounts, never-expiring points aside', () => {
    const many = after(earned, {
      kind: 'add',
      lots: [
        { expires_at: MAR, points: 1 },
        { expires_at: '2027-04-01T00:00:00.000Z', points: 2 },
      ],
    });
    expect(pointsExpiring(many)).toEqual([
      { expires_at: JAN, points: 30 },
      { expires_at: FEB, points: 70 },
      { expires_at: MAR, points: 1 },
    ]);
  });

  it('merges without empty lots', () => {
    expect(addLots([{ expires_at: JAN, points: 0 }], [])).toEqual([]);
  });

  it('puts a default expiry at the start of a UTC day, so a member’s dates are at most one a day', () => {
    expect(defaultExpiry(new Date('2026-12-06T10:30:00Z'), 30)).toBe('2027-01-06T00:00:00.000Z');
    expect(defaultExpiry(new Date('2026-12-06T23:59:00Z'), 30)).toBe('2027-01-06T00:00:00.000Z');
  });
});
