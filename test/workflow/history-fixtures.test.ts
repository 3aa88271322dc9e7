/**
 * Recorded histories are append-only. Each one stands for workflows a release left running, and re-recording it on new
 * code would hide exactly the break the replay test exists to catch. So git must show no committed history modified,
 * deleted or moved after it was added, and the working tree must not change one either. The rule holds from the commit
 * that put the histories in release folders; the re-recordings before it are history.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURES = 'test/fixtures/histories';
const root = fileURLToPath(new URL('../..', import.meta.url));

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

const ADVICE =
  'Recorded histories never change: restore it, and record the changed path as a new history in the current ' +
  "release's folder (RECORD_HISTORIES=1), with the workflow change behind patched() so the old history still replays.";

/** `git log --name-status` output as "<commit> <subject>: <status> <file>" lines. */
function changesIn(log: string): string[] {
  const changes: string[] = [];
  let commit = '';
  for (const line of log.split('\n').filter(Boolean)) {
    const change = /^([MDT])\t(.+)$/.exec(line);
    if (change) changes.push(`${commit}: ${change[1]} ${change[2]}`);
    else commit = line;
  }
  return changes;
}

describe('recorded histories', () => {
  it('has the whole git history to check them against', () => {
    const shallow = git('rev-parse', '--is-shallow-repository').trim();
    expect(shallow, 'a shallow clone hides earlier changes: git fetch --unshallow').toBe('false');
  });

  it('were never modified or deleted in a commit after they were added', () => {
    // The commit that put the histories in release folders: the first one to add a file in one.
    const [rule] = git(
      'log',
      '--no-renames',
      '--diff-filter=A',
      '--reverse',
      '--format=%H',
      '--',
      `:(glob)${FIXTURES}/*/*.json`,
    ).split('\n');
    if (!rule) return;
    const log = git(
      'log',
      '--no-renames',
      '--diff-merges=first-parent',
      '--diff-filter=MDT',
      '--name-status',
      '--format=%h %s',
      `${rule}..HEAD`,
      '--',
      `:(glob)${FIXTURES}/*/**`,
    );
    expect(changesIn(log), ADVICE).toEqual([]);
  });

  it('are not modified or deleted in the working tree or the index', () => {
    const changed = git(
      'diff',
      '--no-renames',
      '--name-status',
      '--diff-filter=MDT',
      'HEAD',
      '--',
      `:(glob)${FIXTURES}/*/**`,
    );
    expect(changed.split('\n').filter(Boolean), ADVICE).toEqual([]);
  });
});
