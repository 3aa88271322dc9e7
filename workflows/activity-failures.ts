import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** A normal activity's failure reaches the workflow wrapped in an ActivityFailure; a local activity's, as thrown. */
export function isFailureOfType(error: unknown, type: string): boolean {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof ApplicationFailure && failure.type === type;
}
