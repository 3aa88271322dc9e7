/** The identifiers a member is found by, each unique among members. */
export const MEMBER_IDENTIFIERS = ['email', 'phone_number', 'pos_account_id', 'external_id'] as const;
export type MemberIdentifierField = (typeof MEMBER_IDENTIFIERS)[number];

export class IdentifierTakenError extends Error {
  constructor(readonly fields: MemberIdentifierField[]) {
    super(`Another member already has this ${fields.join(' and ') || 'identifier'}.`);
  }
}
