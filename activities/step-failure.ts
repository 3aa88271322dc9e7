import { ApplicationFailure } from '@temporalio/activity';
import { RETRYABLE, type FailureType } from '../domain/failures';

/** A step's failure of a known type, retryable or not as the failure vocabulary says. */
export function stepFailure(type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: !RETRYABLE[type] });
}
