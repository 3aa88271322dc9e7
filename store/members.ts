import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { normalizeEmail } from '../domain/email';
import { IdentifierTakenError, MEMBER_IDENTIFIERS, type MemberIdentifierField } from '../domain/members';
import type { MemberIdentifier } from '../domain/redemption';
import { inBatches } from './batches';
import { duplicateKeyIndex } from './duplicate-key';
import { confirmNothingFound } from './outage';

export interface Member {
  _id: string;
  email?: string;
  phone_number?: string;
  pos_account_id?: string;
  external_id?: string;
  name?: string;
  created_at: Date;
}

export type NewMember = Omit<Member, '_id' | 'created_at'>;

function newMember(input: NewMember, createdAt: Date): Member {
  const member: Member = { _id: `mem_${randomUUID().replace(/-/g, '')}`, ...input, created_at: createdAt };
  if (member.email) member.email = normalizeEmail(member.email);
  return member;
}

export class Members {
  private readonly members: Collection<Member>;

  constructor(db: Db) {
    this.members = db.collection<Member>('members');
  }

  /** Creates a member; the unique indexes make a taken identifier fail even when two requests race. */
  async create(input: NewMember): Promise<Member> {
    const member = newMember(input, new Date());
    try {
      await this.members.insertOne(member);
      return member;
    } catch (error) {
      const index = duplicateKeyIndex(error);
      if (index === undefined) throw error;
      const named = MEMBER_IDENTIFIERS.find((name) => index.startsWith(name));
      throw new IdentifierTakenError(named ? [named] : await this.takenIdentifiers(member));
    }
  }

  /** Imports members in bulk (a merchant's existing members, migrated), as create would store them. */
  async importMany(inputs: Array<NewMember & { created_at: Date }>): Promise<Member[]> {
    const members = inputs.map(({ created_at, ...input }) => newMember(input, created_at));
    if (members.length > 0) await this.members.insertMany(members, { ordered: false });
    return members;
  }

  /** FerretDB's duplicate-key error does not name the index, so the taken identifiers are looked up. */
  private async takenIdentifiers(member: Member): Promise<MemberIdentifierField[]> {
    const taken: MemberIdentifierField[] = [];
    for (const field of MEMBER_IDENTIFIERS) {
      const value = member[field];
      if (value !== undefined && (await this.members.findOne({ [field]: value }))) taken.push(field);
    }
    return taken;
  }

  /** Every member's id, in batches (reconciliation reads them all, holding one batch). */
  async *idsInBatches(size: number): AsyncGenerator<string[]> {
    const members = this.members.find({}, { projection: { _id: 1 }, batchSize: size });
    for await (const batch of inBatches(members, size)) yield batch.map(({ _id }) => _id);
  }

  findById(id: string): Promise<Member | null> {
    return this.members.findOne({ _id: id });
  }

  /** The member with that identifier; null only once the store shows the collection (see confirmNothingFound). */
  async findByIdentifier(identifier: MemberIdentifier): Promise<Member | null> {
    const value = identifier.field === 'email' ? normalizeEmail(identifier.value) : identifier.value;
    const member = await this.members.findOne({ [identifier.field]: value });
    if (!member) await confirmNothingFound(this.members);
    return member;
  }
}
