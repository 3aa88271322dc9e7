/**
 * The previous release that the cluster's rolling deploy starts from (test/harness/previous-release) must lack every
 * patch written since it: a patch added to the workflows and not to PATCHES_TO_COME would be in both releases.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PATCHES_TO_COME } from '../harness/previous-release/workflow-api';

const workflowsDir = fileURLToPath(new URL('../../workflows/', import.meta.url));
/** Patches the previous release already had. */
const PATCHES_BEFORE = ['order-refunds-in-turn', 'webhook-lane-waits-for-nudges'];

/** The ids passed to patched() in the workflows, written inline or as a constant of the same file. */
function patchIds(): string[] {
  const files = readdirSync(workflowsDir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  return files.flatMap((file) => {
    const source = readFileSync(join(workflowsDir, file), 'utf8');
    const constants = new Map(
      [...source.matchAll(/const (\w+) = '([^']+)'/g)].map(([, name, value]) => [name!, value!]),
    );
    return [...source.matchAll(/patched\(\s*(?:'([^']+)'|(\w+))/g)].map(([, literal, name]) => {
      const id = literal ?? constants.get(name!);
      if (!id) throw new Error(`${file}: patched(${name}) names no constant of the file`);
      return id;
    });
  });
}

describe('the previous release of the rolling deploy test', () => {
  it('lacks every patch written since it', () => {
    const since = patchIds().filter((id) => !PATCHES_BEFORE.includes(id));
    expect(since.sort(), 'add a new patch to PATCHES_TO_COME').toEqual([...PATCHES_TO_COME].sort());
  });
});
