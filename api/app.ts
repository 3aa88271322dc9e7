import express, { type Request, type Router } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import type { Application } from '../application';
import type { Config } from '../config/env';
import { apiKeyOfRequest, carriesMetricsToken, requireApiKey } from './auth';
import { ApiError, errorHandler, notFoundRoute } from './errors';
import { healthRouter } from './health';
import { membersRouter } from './members';
import { optionsRouter } from './options';
import { ordersRouter } from './orders';
import { partnerNotificationsRouter } from './partner-notifications';
import { redemptionsRouter } from './redemptions';
import { reportsRouter } from './reports';
import type { Metrics } from './metrics';
import { rateLimitByClient } from './rate-limits';
import { RouteBook } from './routes';
import { traceRequests } from './tracing';
import { webhookEndpointsRouter } from './webhook-endpoints';
import { deliverectWebhooksRouter } from './webhooks/deliverect';
import { posWebhooksRouter } from './webhooks/pos';

export interface AppDeps {
  config: Config;
  logger: Logger;
  application: Application;
  metrics: Metrics;
}

/** Webhook signatures are computed over the exact bytes received, so the JSON parser keeps them. */
export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

const BODY_LIMIT = '64kb';

export function createApp(deps: AppDeps) {
  const { metrics } = deps;
  const app = express();
  const routes = new RouteBook();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: deps.logger,
      autoLogging: { ignore: (req) => req.url === '/healthz' },
      // Query strings carry coupon codes and member filters, and headers carry credentials: neither is logged.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(metrics.observeRequests);
  app.use((req, _res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is('application/json')) {
      next(new ApiError(415, 'unsupported_media_type', 'Send the body as JSON with "Content-Type: application/json".'));
      return;
    }
    next();
  });
  app.use(
    express.json({
      limit: BODY_LIMIT,
      verify: (req, _res, buffer) => {
        (req as RawBodyRequest).rawBody = buffer;
      },
    }),
  );

  // After the body is read: the body parser resumes from the socket's events, outside the request's context.
  if (deps.config.tracing.otlpEndpoint) app.use(traceRequests());

  app.get('/metrics', async (req, res, next) => {
    if (!carriesMetricsToken(deps.config.metricsToken, req.header('authorization'))) {
      next(
        new ApiError(
          401,
          'unauthenticated',
          'Send the metrics token (METRICS_TOKEN) as "Authorization: Bearer <token>".',
        ),
      );
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(documentedRoutes(deps, routes));

  const document = routes.document();
  app.get('/openapi.json', (_req, res) => res.json(document));
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Redemption orchestrator API' }));

  app.use(notFoundRoute);
  app.use(errorHandler(deps.logger));
  return app;
}

/** The OpenAPI document of the app that `createApp(deps)` serves, without serving it. */
export function describeApp(deps: AppDeps) {
  const routes = new RouteBook();
  documentedRoutes(deps, routes);
  return routes.document();
}

/** Every route the OpenAPI document describes, each described in `routes` as its router is built. */
function documentedRoutes(deps: AppDeps, routes: RouteBook): Router {
  const { application, metrics } = deps;
  const router = express.Router();
  // Readiness's reasons name hosts and errors: for monitoring and operators, not for anyone who can reach the port.
  const mayReadDetails = (req: Request) =>
    carriesMetricsToken(deps.config.metricsToken, req.header('authorization')) ||
    apiKeyOfRequest(deps.config.apiKeys, req.header('authorization'))?.scopes.has('operator') === true;
  router.use(healthRouter(application.health, routes, mayReadDetails));

  const v1 = express.Router();
  v1.use(requireApiKey(deps.config.apiKeys));
  for (const limiter of rateLimitByClient(deps.config.rateLimits)) v1.use(limiter);
  v1.use(membersRouter(deps, application.members, routes));
  v1.use(optionsRouter(deps, application.catalogue, routes));
  v1.use(redemptionsRouter(deps, application, routes, metrics));
  v1.use(ordersRouter(application, routes));
  v1.use(reportsRouter(application, routes));
  v1.use(webhookEndpointsRouter(deps, application, routes));
  v1.use(partnerNotificationsRouter(deps, application.deliverect, routes));
  router.use('/v1', v1);
  router.use(deliverectWebhooksRouter(deps, application, routes));
  router.use(posWebhooksRouter(deps, application, routes));
  return router;
}
