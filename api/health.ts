import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from './app';
import type { RouteBook } from './routes';

const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ temporal: z.string(), mongodb: z.string() }),
  })
  .meta({ id: 'Readiness' });

async function check(probe: () => Promise<unknown>, timeoutMs = 2_000): Promise<string> {
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
    return 'ok';
  } catch (error) {
    return `unreachable: ${(error as Error).message}`;
  }
}

export function healthRouter(deps: AppDeps, routes: RouteBook): Router {
  const router = Router();
  routes.add(
    router,
    '',
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness',
      tag: 'Operations',
      responses: { 200: { description: 'The process is up' } },
    },
    (_input, _req, res) => res.json({ status: 'ok' }),
  );
  routes.add(
    router,
    '',
    {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: Temporal and MongoDB reachable',
      tag: 'Operations',
      responses: {
        200: { description: 'Ready', schema: readinessSchema },
        503: { description: 'A dependency is down', schema: readinessSchema },
      },
    },
    async (_input, _req, res) => {
      const [temporal, mongodb] = await Promise.all([
        check(() => deps.temporal.workflowService.getSystemInfo({})),
        check(() => deps.db.command({ ping: 1 })),
      ]);
      const ready = temporal === 'ok' && mongodb === 'ok';
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { temporal, mongodb } });
    },
  );
  return router;
}
