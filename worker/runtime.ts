import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/**
 * Routes the Temporal SDK's own logs at the given level (the default INFO prints every workflow bundle). The runtime
 * is a process-wide singleton that can be installed once, before the first worker; later calls keep the first.
 */
export function installWorkerRuntime(level: LogLevel = 'WARN'): void {
  if (installed) return;
  Runtime.install({ logger: new DefaultLogger(level) });
  installed = true;
}
