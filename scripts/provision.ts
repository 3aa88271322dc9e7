/** Makes sure the Temporal CLI and a MongoDB-protocol server are available, building them from Go if needed. */
import { provisionChromium } from './chromium';
import { FERRETDB, TEMPORAL_CLI, resolveGoTool, resolveMongoServer } from './tools';

try {
  const temporal = await resolveGoTool(TEMPORAL_CLI);
  const mongo = await resolveMongoServer();
  console.log(`Temporal CLI: ${temporal}`);
  console.log(`${mongo.kind === 'mongod' ? 'mongod' : FERRETDB.name}: ${mongo.path}`);
  console.log(`Chromium (for the Temporal UI test): ${provisionChromium()}`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
