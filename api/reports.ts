import { Router } from 'express';
import { z } from 'zod';
import type { Application } from '../application';
import {
  DEFAULT_REPORT_DAYS,
  MAX_REPORT_DAYS,
  REPORT_GROUPS,
  REPORT_BOUND,
  parseInstant,
  reportCsv,
  utcDay,
} from '../domain/reports';
import { errorSchema, type RouteBook } from './routes';

const instant = z
  .string()
  .regex(
    REPORT_BOUND,
    'must be a date (2026-11-27) or an ISO 8601 date-time with its offset (2026-11-27T09:30:00Z), years 0000 to 9999',
  )
  .meta({
    description:
      'A date (its midnight, UTC) or a date-time with its offset. The range is read within the years 0001 to 9999 ' +
      '(UTC): a bound beyond counts as that limit',
  });

const reportQuery = z
  .object({
    from: instant.optional().meta({
      description: `Start of the range, inclusive (UTC). Default: ${DEFAULT_REPORT_DAYS} days before \`to\``,
    }),
    to: instant.optional().meta({
      description:
        `End of the range, exclusive (UTC); must be later than \`from\`. Default: the start of tomorrow, or ` +
        `\`from\` + ${DEFAULT_REPORT_DAYS} days. A range covers at most ${MAX_REPORT_DAYS} days (else 422)`,
      'x-later-than': 'from',
    }),
    group_by: z.enum(REPORT_GROUPS).default('day'),
  })
  .refine(({ from, to }) => !from || !to || parseInstant(to)! > parseInstant(from)!, {
    path: ['to'],
    message: 'must be later than from',
  });

const totals = {
  count: z.number().int().meta({ description: 'Redemptions created in the range, whatever became of them' }),
  points: z.number().int().meta({ description: 'Points still spent: points_spent − points_refunded' }),
  points_spent: z.number().int().meta({ description: 'Points debited or captured for them (ledger DEBIT + CAPTURE)' }),
  points_refunded: z.number().int().meta({ description: 'Points refunded to members (ledger REFUND)' }),
};
const reportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    group_by: z.enum(REPORT_GROUPS),
    rows: z.array(
      z.object({ key: z.string().meta({ description: 'The day, option id, partner or status' }), ...totals }),
    ),
    totals: z.object(totals),
  })
  .meta({ id: 'RedemptionsReport' });

export function reportsRouter({ reports }: Application, routes: RouteBook): Router {
  const router = Router();
  routes.add(
    router,
    '/v1',
    {
      method: 'get',
      path: '/v1/reports/redemptions',
      summary:
        'Counts and points of the redemptions created in a range, by day, option, partner or status; CSV with ' +
        '`Accept: text/csv`',
      tag: 'Reports',
      auth: 'api-key',
      scopes: ['reports'],
      query: reportQuery,
      responses: {
        200: {
          description: 'The report (JSON, or CSV with a header row when the request accepts text/csv)',
          schema: reportSchema,
          otherContent: { 'text/csv': z.string() },
        },
        422: { description: `The range is longer than ${MAX_REPORT_DAYS} days`, schema: errorSchema },
      },
    },
    async ({ query }, req, res) => {
      const report = await reports.redemptions({
        from: query.from === undefined ? undefined : parseInstant(query.from),
        to: query.to === undefined ? undefined : parseInstant(query.to),
        group_by: query.group_by,
      });
      if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
        const [from, to] = [utcDay(new Date(report.from)), utcDay(new Date(report.to))];
        res.type('text/csv; charset=utf-8');
        res.attachment(`redemptions-by-${report.group_by}-${from}-${to}.csv`);
        res.send(reportCsv(report.group_by, report.rows));
        return;
      }
      res.json(report);
    },
  );
  return router;
}
