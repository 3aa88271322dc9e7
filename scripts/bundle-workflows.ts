/**
 * Builds the workflow bundles ahead of time, for workers started with WORKFLOW_BUNDLE_PATH (the Docker image): the
 * given path, and beside it the traced bundle (with the OpenTelemetry workflow interceptors) that a worker loads
 * instead when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { tracingWorkflowInterceptorsPath } from '../config/tracing';
import { tracedBundlePath, workflowsPath } from '../worker/create-worker';

const output = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
mkdirSync(dirname(output), { recursive: true });
for (const [path, workflowInterceptorModules] of [
  [output, []],
  [tracedBundlePath(output), [tracingWorkflowInterceptorsPath]],
] as const) {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [...workflowInterceptorModules],
  });
  writeFileSync(path, code);
  console.log(`Workflow bundle written to ${path} (${Math.round(code.length / 1024)} KiB)`);
}
