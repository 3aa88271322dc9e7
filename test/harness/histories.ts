/**
 * Recorded workflow histories, replayed in CI to prove that workflow code changes stay deterministic. Recording
 * happens only on request: `RECORD_HISTORIES=1 npm test` rewrites test/fixtures/histories/ from the integration runs.
 */
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workflowIdOf } from '../../api/redemption-workflows';

export const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

export async function recordHistory(client: Client, redemptionId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowIdOf(redemptionId)).fetchHistory();
  mkdirSync(historiesDir, { recursive: true });
  writeFileSync(`${historiesDir}${name}.json`, historyToJSON(history));
}
