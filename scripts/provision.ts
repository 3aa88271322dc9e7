/**
 * Makes sure the servers that `npm start`, `npm run start:cluster` and the tests run are available: the Temporal CLI,
 * a MongoDB-protocol server, and the Temporal server with its UI, building them from Go if needed.
 */
import { resolveTemporalServer } from './temporal-cluster';
import { FERRETDB, TEMPORAL_CLI, resolveGoTool, resolveMongoServer } from './tools';

try {
  const temporal = await resolveGoTool(TEMPORAL_CLI);
  const mongo = await resolveMongoServer();
  const cluster = await resolveTemporalServer();
  console.log(`Temporal CLI: ${temporal}`);
  console.log(`${mongo.kind === 'mongod' ? 'mongod' : FERRETDB.name}: ${mongo.path}`);
  console.log(`Temporal server: ${cluster.server} (UI: ${cluster.uiServer})`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
