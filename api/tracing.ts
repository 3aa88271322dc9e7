import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';

/**
 * One server span per request, child of the caller's `traceparent` if it sent one, and active while the request is
 * handled, so that the Temporal client's spans (and through them the workflow's) belong to it. Named by the matched
 * route once it is known, which keeps span names bounded like the metrics' route label.
 */
export function traceRequests(): RequestHandler {
  const tracer = trace.getTracer('redemption-api');
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
      parent,
    );
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ? `${req.baseUrl}${req.route.path}` : undefined;
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
