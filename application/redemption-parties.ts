import type { Db } from 'mongodb';
import type { RedemptionParties } from './redemption-workflows';
import { memberIdentifierOf, type CreateRedemptionRequest } from '../domain/redemption';
import { Members } from '../store/members';
import type { Catalogue } from './catalogue';

/**
 * Looks up the option and the member a Create Redemption request names, before its workflow starts: the workflow
 * carries the member's id, never the email, phone or account that found them.
 */
export async function partiesOf(
  { db, catalogue }: { db: Db; catalogue: Catalogue },
  request: CreateRedemptionRequest,
): Promise<RedemptionParties> {
  const [option, member] = await Promise.all([
    catalogue.get(request.redemption_option_id),
    new Members(db).findByIdentifier(memberIdentifierOf(request)),
  ]);
  return { option, memberId: member?._id ?? null };
}
