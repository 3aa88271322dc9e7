/**
 * Recorded workflow histories, replayed in CI to prove that workflow code changes stay deterministic. Recording
 * happens only on request: `RECORD_HISTORIES=1 npm test` rewrites test/fixtures/histories/ from the integration runs.
 */
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workflowIdOf } from '../../application/redemption-workflows';

export const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/** Records the redemption's workflow, or the workflow named (e.g. its orders workflow). */
export async function recordHistory(
  client: Client,
  redemptionId: string,
  name: string,
  workflowId = workflowIdOf(redemptionId),
): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  mkdirSync(historiesDir, { recursive: true });
  writeFileSync(`${historiesDir}${name}.json`, historyToJSON(history));
}
