/**
 * `@temporalio/workflow` as the workflows of the release before PATCHES_TO_COME saw it. Code written to the patch
 * discipline keeps the old behaviour in the branch where `patched()` is false, so a bundle whose `patched()` answers
 * false for these ids, without recording a marker, behaves as that release did. The release before a patch lacks every
 * later one too: a new patch goes to the end of the list.
 */
import { patched as patchedNow } from '@temporalio/workflow/lib/index.js';

export * from '@temporalio/workflow/lib/index.js';

export const PATCHES_TO_COME = ['complete-with-points', 'hold-hands-back-ledger-head', 'begin-with-points'];

export function patched(patchId: string): boolean {
  return PATCHES_TO_COME.includes(patchId) ? false : patchedNow(patchId);
}
