/**
 * OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Then one trace follows a redemption from the
 * HTTP request (api/tracing.ts) through the Temporal client call, the workflow, its activities and the partner's HTTP
 * call, using Temporal's OpenTelemetry interceptors. When off, nothing of it is loaded: no interceptor runs and the
 * workflow bundle has no interceptor module, so workflow histories are those of an untraced worker.
 *
 * `@temporalio/interceptors-opentelemetry` (v1, on OpenTelemetry JS 1.x) on purpose: it is the one released with this
 * SDK (1.24); the v2 package has no 1.24 release and pins SDK 1.23 as a peer. Histories of workflows run with v1's
 * workflow interceptors do not replay under v2's and back, so moving to v2 later is a versioned worker change.
 */
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { createRequire } from 'node:module';
import type { Config } from './env';

/** The workflow interceptors module, bundled into the workflow code of a traced worker. */
export const tracingWorkflowInterceptorsPath = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

export interface Tracing {
  /** For `new Client({ interceptors })`: the client call starting or updating a workflow is a span, passed on. */
  clientInterceptors: ClientInterceptors;
  /** Activity interceptors, the workflow interceptors module, and the sink that exports the workflow's spans. */
  workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Exports every finished span now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let started: Promise<Tracing | undefined> | undefined;

/**
 * Installs the process-wide tracer provider and exporter, once (API and worker share it under `npm start`); later
 * calls return the first. Undefined when tracing is off.
 */
export function startTracing(settings: Config['tracing'], serviceName: string): Promise<Tracing | undefined> {
  if (!settings.otlpEndpoint) return Promise.resolve(undefined);
  started ??= install(settings.otlpEndpoint, settings.serviceName ?? serviceName);
  return started;
}

async function install(endpoint: string, serviceName: string): Promise<Tracing> {
  const [
    { OTLPTraceExporter },
    { registerInstrumentations },
    { UndiciInstrumentation },
    resources,
    base,
    node,
    temporal,
  ] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);
  const resource = new resources.Resource({ 'service.name': serviceName });
  const spanProcessor = new base.BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }));
  const provider = new node.NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // AsyncLocalStorage context and W3C trace context, so that the span of a request is the parent of what it starts.
  provider.register();
  // Outgoing fetch() calls (the partner's redeem endpoint) are spans, and carry `traceparent` to the partner.
  registerInstrumentations({ tracerProvider: provider, instrumentations: [new UndiciInstrumentation()] });

  return {
    clientInterceptors: { workflow: [new temporal.OpenTelemetryWorkflowClientInterceptor()] },
    workerOptions: {
      interceptors: {
        workflowModules: [tracingWorkflowInterceptorsPath],
        activity: [
          (ctx) => ({
            inbound: new temporal.OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new temporal.OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: temporal.makeWorkflowExporter(spanProcessor, resource) },
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
