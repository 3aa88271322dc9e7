/** Builds the workflow bundle ahead of time, for workers started with WORKFLOW_BUNDLE_PATH (the Docker image). */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { workflowsPath } from '../worker/create-worker';

const output = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const { code } = await bundleWorkflowCode({ workflowsPath });
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, code);
console.log(`Workflow bundle written to ${output} (${Math.round(code.length / 1024)} KiB)`);
