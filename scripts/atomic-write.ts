import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes the file beside its place and renames it into it, so that a reader at the same moment (a worker starting, the
 * deploy script, a test) reads the old file or the new one, never half of one.
 */
export function writeFileAtomically(path: string, data: string): void {
  writeFileSync(`${path}.next`, data);
  renameSync(`${path}.next`, path);
}
