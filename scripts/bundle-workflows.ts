/** `npm run bundle [path]`: builds the workflow bundles ahead of time (scripts/workflow-bundles.ts). */
import { writeWorkflowBundles } from './workflow-bundles';

for (const written of await writeWorkflowBundles(process.argv[2] ?? 'dist/workflow-bundle.js')) {
  console.log(`Workflow bundle written to ${written}`);
}
