/** What a redemption workflow refused, as the application's Refusal. */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Refusal, isRefusalCode } from '../domain/failures';

/** A refusal raised by a workflow's update validator or handler, as the Refusal it stands for. */
export function refusalOf(error: unknown): Refusal | undefined {
  const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || !cause.type || !isRefusalCode(cause.type)) return undefined;
  return new Refusal(cause.type, cause.message);
}
