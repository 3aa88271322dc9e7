/**
 * Builds the workflow bundle ahead of time, for workers started with WORKFLOW_BUNDLE_PATH (the Docker image). With
 * `--traced` the bundle includes the OpenTelemetry workflow interceptors, for workers run with
 * OTEL_EXPORTER_OTLP_ENDPOINT set.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { tracingWorkflowInterceptorsPath } from '../config/tracing';
import { workflowsPath } from '../worker/create-worker';

const args = process.argv.slice(2);
const traced = args.includes('--traced');
const output = resolve(args.find((arg) => !arg.startsWith('--')) ?? 'dist/workflow-bundle.js');
const { code } = await bundleWorkflowCode({
  workflowsPath,
  workflowInterceptorModules: traced ? [tracingWorkflowInterceptorsPath] : [],
});
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, code);
console.log(`Workflow bundle${traced ? ' (traced)' : ''} written to ${output} (${Math.round(code.length / 1024)} KiB)`);
