/**
 * Writes the workflow bundles that workers started with WORKFLOW_BUNDLE_PATH load (the image, the cluster): the given
 * path, and beside it the traced bundle (with the OpenTelemetry workflow interceptors) that a worker loads instead when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Each file is written beside its place and renamed into it, so that a worker
 * starting meanwhile reads the old bundle or the new one, never half of one.
 */
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { tracingWorkflowInterceptorsPath } from '../config/tracing';
import { writeFileAtomically } from './atomic-write';
import { tracedBundlePath, workflowBundleOptions } from '../worker/create-worker';

export async function writeWorkflowBundles(
  output: string,
  options: Pick<BundleOptions, 'webpackConfigHook'> = {},
): Promise<string[]> {
  const path = resolve(output);
  mkdirSync(dirname(path), { recursive: true });
  const written: string[] = [];
  for (const [target, workflowInterceptorModules] of [
    [path, []],
    [tracedBundlePath(path), [tracingWorkflowInterceptorsPath]],
  ] as const) {
    const { code } = await bundleWorkflowCode({
      ...workflowBundleOptions,
      workflowInterceptorModules: [...workflowInterceptorModules],
      ...options,
    });
    writeFileAtomically(target, code);
    written.push(`${target} (${Math.round(code.length / 1024)} KiB)`);
  }
  return written;
}
