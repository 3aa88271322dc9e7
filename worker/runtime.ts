import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

/** Routes the Temporal SDK's own logs at the given level (the default INFO prints every workflow bundle). */
export function installWorkerRuntime(level: LogLevel = 'WARN'): void {
  Runtime.install({ logger: new DefaultLogger(level) });
}
