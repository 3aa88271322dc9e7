/**
 * What the workflow bundle carries: every module a workflow imports is instantiated once per workflow in the worker's
 * shared V8 context, so a heavy library there costs memory for every cached workflow (zod took a worker with 1,000
 * waiting redemptions from about 550 MB to 1.8 GB). Workflows import only light, pure modules.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundleOptions } from '../../worker/create-worker';

const HEAVY_PACKAGES = ['zod', 'mongodb', 'express', 'pino'];

describe('the workflow bundle', () => {
  it('carries no heavy library', async () => {
    const { code } = await bundleWorkflowCode({
      ...workflowBundleOptions,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    const packages = new Set([...code.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((match) => match[1]));
    expect([...packages].filter((name) => HEAVY_PACKAGES.includes(name!))).toEqual([]);
  }, 60_000);
});
