/**
 * The workflow bundle of the release before PATCHES_TO_COME (workflow-api.ts), for tests that deploy the current code
 * over it: the workflows import `@temporalio/workflow` through that module.
 */
import { fileURLToPath } from 'node:url';
import { writeWorkflowBundles } from '../../../scripts/workflow-bundles';

const previousReleaseApi = fileURLToPath(new URL('./workflow-api.ts', import.meta.url));

export function writePreviousReleaseBundles(output: string): Promise<string[]> {
  return writeWorkflowBundles(output, {
    webpackConfigHook: (config) => ({
      ...config,
      resolve: {
        ...config.resolve,
        alias: { ...(config.resolve?.alias as Record<string, string>), '@temporalio/workflow$': previousReleaseApi },
      },
    }),
  });
}
