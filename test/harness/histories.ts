/**
 * Recorded workflow histories, replayed in CI to prove that workflow code changes stay deterministic. They are
 * append-only, one folder per release (`test/fixtures/histories/<version>/`, the version from package.json): each
 * stands for workflows that release left running, so it is never recorded again. `RECORD_HISTORIES=1 npm test` (or
 * one suite under vitest) records, from the integration runs, only the paths the current release's folder has no
 * history of yet.
 */
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/** The release whose folder new recordings go to. */
export const currentRelease: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

export interface RecordedHistory {
  release: string;
  /** The path of the saga it records, e.g. `delayed-captured`. */
  name: string;
  file: string;
}

/** Every recorded history of every release. */
export function recordedHistories(): RecordedHistory[] {
  return readdirSync(historiesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap(({ name: release }) =>
      readdirSync(join(historiesDir, release))
        .filter((file) => file.endsWith('.json'))
        .map((file) => ({ release, name: file.replace(/\.json$/, ''), file: join(historiesDir, release, file) })),
    );
}

/**
 * Records the history of the workflow once its run has ended (however it ended), unless the current release already
 * has one of that name.
 */
export async function recordHistory(client: Client, name: string, workflowId: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const file = join(historiesDir, currentRelease, `${name}.json`);
  if (existsSync(file)) return;
  const handle = client.workflow.getHandle(workflowId);
  await handle.result().catch(() => undefined);
  const history = await handle.fetchHistory();
  mkdirSync(join(historiesDir, currentRelease), { recursive: true });
  writeFileSync(file, historyToJSON(history), { flag: 'wx' });
}
