/**
 * `npm run cluster:deploy-workers`: ships the workflow and activity code as it is now to a running
 * `npm run start:cluster`, as a change to the workflows is deployed (README, "Deploying a change to the workflow"):
 * the bundle is rebuilt, then the workers are replaced one at a time. Redemptions keep running meanwhile; those that
 * older code started replay on the new code along the old branches of its patches.
 */
import { clusterBundlePath, clusterDataDir } from './cluster-layout';
import { rollWorkers } from './roll-workers';
import { writeWorkflowBundles } from './workflow-bundles';

const dataDir = clusterDataDir();
console.log('Bundling the workflows...');
for (const written of await writeWorkflowBundles(clusterBundlePath(dataDir))) console.log(`  ${written}`);
await rollWorkers(dataDir);
console.log('Every worker runs the new code.');
