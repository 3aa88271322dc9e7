/**
 * Makes sure what `npm start`, `npm run start:cluster` and the tests run is available: the Temporal CLI, a
 * MongoDB-protocol server and the Temporal server with its UI, built from Go if needed, and the Chromium that the
 * Temporal UI test drives.
 */
import { provisionChromium } from './chromium';
import { resolveTemporalServer } from './temporal-cluster';
import { FERRETDB, TEMPORAL_CLI, resolveGoTool, resolveMongoServer } from './tools';

try {
  const temporal = await resolveGoTool(TEMPORAL_CLI);
  const mongo = await resolveMongoServer();
  const cluster = await resolveTemporalServer();
  console.log(`Temporal CLI: ${temporal}`);
  console.log(`${mongo.kind === 'mongod' ? 'mongod' : FERRETDB.name}: ${mongo.path}`);
  console.log(`Temporal server: ${cluster.server} (UI: ${cluster.uiServer})`);
  console.log(`Chromium (for the Temporal UI test): ${provisionChromium()}`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
