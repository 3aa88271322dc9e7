import { Router } from 'express';
import { z } from 'zod';
import type { Request } from 'express';
import type { ServiceHealth } from '../application/health';
import type { RouteBook } from './routes';

const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z
      .object({ temporal: z.string(), mongodb: z.string() })
      .optional()
      .meta({ description: 'Why, for the metrics token or an operator key only' }),
  })
  .meta({ id: 'Readiness' });

const livenessSchema = z.object({ status: z.enum(['ok', 'stuck']) }).meta({ id: 'Liveness' });

/** `mayReadDetails`: whether the request may read why a dependency is not ready. */
export function healthRouter(
  health: ServiceHealth,
  routes: RouteBook,
  mayReadDetails: (req: Request) => boolean,
): Router {
  const router = Router();
  routes.add(
    router,
    '',
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: 503 when the process should be restarted',
      tag: 'Operations',
      responses: {
        200: { description: 'The process is up', schema: livenessSchema },
        503: {
          description:
            "The process's store client has failed for a while although a new client reaches the store: restart it",
          schema: livenessSchema,
        },
      },
    },
    async (_input, _req, res) => {
      const stuck = await health.isStuck();
      res.status(stuck ? 503 : 200).json({ status: stuck ? 'stuck' : 'ok' });
    },
  );
  routes.add(
    router,
    '',
    {
      method: 'get',
      path: '/readyz',
      summary:
        'Readiness: Temporal and the store reachable, and the store lists what it holds; with the metrics token or ' +
        'an operator key, each check says why',
      tag: 'Operations',
      responses: {
        200: { description: 'Ready', schema: readinessSchema },
        503: { description: 'A dependency is down', schema: readinessSchema },
      },
    },
    async (_input, req, res) => {
      const { ready, checks } = await health.readiness();
      res
        .status(ready ? 200 : 503)
        .json({ status: ready ? 'ready' : 'not_ready', ...(mayReadDetails(req) ? { checks } : {}) });
    },
  );
  return router;
}
