import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { ConfigError } from '../config/env';

let installed = false;

/** Buckets in seconds for the business histograms the worker records through the runtime's meter. */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface TemporalRuntimeOptions {
  /** The Temporal SDK's own logs at this level (its default INFO prints every workflow bundle). */
  logLevel?: LogLevel;
  /**
   * `host:port` where the runtime serves Prometheus metrics on `/metrics`: the SDK's `temporal_` series and the
   * business metrics recorded through `Runtime.instance().metricMeter`. None when undefined.
   */
  metricsAddress?: string;
}

/**
 * Installs the Temporal SDK's runtime: a process-wide singleton, behind the workers and every connection to Temporal
 * (connectServices installs it with the defaults), that can be installed once, before the first connection, worker or
 * test environment; later calls keep the first.
 */
export function installTemporalRuntime({ logLevel = 'WARN', metricsAddress }: TemporalRuntimeOptions = {}): void {
  if (installed) return;
  try {
    installRuntime(logLevel, metricsAddress);
  } catch (error) {
    if (!metricsAddress) throw error;
    // Most likely the address is taken (another worker on this host): say which variable moves it.
    throw new ConfigError([
      `WORKER_METRICS_ADDRESS: cannot serve metrics on ${metricsAddress} (${(error as Error).message}); set another host:port, or off`,
    ]);
  }
  installed = true;
}

function installRuntime(logLevel: LogLevel, metricsAddress: string | undefined): void {
  Runtime.install({
    logger: new DefaultLogger(logLevel),
    ...(metricsAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: metricsAddress,
                histogramBucketOverrides: { redemption_partner_call_duration_seconds: SECONDS_BUCKETS },
              },
            },
          },
        }
      : {}),
  });
}
