/**
 * What operators do to a redemption, from the Temporal UI (Send Update) or the API
 * (`POST /v1/redemptions/{id}/actions/{action}`): release a hold now, refund a completed redemption, resolve one in
 * needs_review. Each is audited with who did it and why.
 */
export const OPERATOR_ACTIONS = ['release', 'refund', 'resolve'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** Who acted when the Temporal UI or CLI sent the update without saying. */
export const TEMPORAL_UI_OPERATOR = 'temporal-ui';

/** Who and why, as an action's input carries them. */
export interface OperatorNote {
  /** An operator's name or id, or the API client that asked; never a member's personal data. */
  operator?: string;
  reason?: string;
}

export const NOTE_LIMITS = { operator: 200, reason: 1_000 } as const;

/**
 * What is wrong with an action's input sent from outside (the Temporal UI sends any JSON), or null when it is
 * acceptable: an object with only the note's fields and `extra`'s, each a non-empty string within its limit. Plain
 * code rather than a schema, so that a workflow's update validator can run it.
 */
export function operatorInputProblem(
  input: unknown,
  options: { reasonRequired?: boolean; extra?: Record<string, (value: unknown) => string | null> } = {},
): string | null {
  const extra = options.extra ?? {};
  const fields = [...Object.keys(extra), 'operator', 'reason'];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return `Send an object with ${fields.join(', ')}.`;
  }
  const values = input as Record<string, unknown>;
  const unknown = Object.keys(values).filter((key) => !fields.includes(key));
  if (unknown.length > 0) return `Unknown field ${unknown.join(', ')}; send only ${fields.join(', ')}.`;
  for (const [field, check] of Object.entries(extra)) {
    const problem = check(values[field]);
    if (problem) return problem;
  }
  if (options.reasonRequired && values.reason === undefined) return 'reason is required: say why, for the audit trail.';
  for (const [field, limit] of Object.entries(NOTE_LIMITS)) {
    const value = values[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim() === '' || value.length > limit) {
      return `${field} must be a non-empty string of at most ${limit} characters.`;
    }
  }
  return null;
}

/** The note as audited: who defaults to the Temporal UI, which is where an update without one comes from. */
export function auditedNote(note: OperatorNote): Required<Pick<OperatorNote, 'operator'>> & OperatorNote {
  return { ...note, operator: note.operator ?? TEMPORAL_UI_OPERATOR };
}
