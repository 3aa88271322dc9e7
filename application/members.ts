/**
 * Members and their points: create a member, read one with their balances, earn or adjust points (idempotently, by
 * the client's key), and page through a member's ledger.
 */
import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import { Refusal } from '../domain/failures';
import { ExpiryInPastError, defaultExpiry, pointsExpiring, type Lot } from '../domain/points-expiry';
import {
  Ledger,
  NO_POINTS,
  pointsAfter,
  type Balances,
  type LedgerEntry,
  type LedgerObserver,
  type MemberPoints,
} from '../store/ledger';
import { Members, type Member, type NewMember } from '../store/members';

export interface MemberWithBalances {
  member: Member;
  balances: Balances;
  /** The next dates on which available points expire, with how many. */
  expiring: Lot[];
}

export interface PointsChange {
  /** Positive earns, negative adjusts down. */
  points: number;
  reason: string;
  /** When earned points expire (an ISO instant); by default, as the programme says (POINTS_EXPIRE_AFTER_DAYS). */
  expiresAt?: string;
  /** The client's key: the same key from the same client again changes nothing. */
  idempotencyKey: string;
  /** The API client that sent it: another client's key is another change, whatever its text. */
  clientId: string;
}

/**
 * The ledger's key of a client's points change. The client is named by a digest, because the key is the entry's id in
 * every client's view of the ledger.
 */
export function pointsChangeKey(memberId: string, clientId: string, idempotencyKey: string): string {
  const client = createHash('sha256').update(clientId).digest('hex').slice(0, 12);
  return `points:${memberId}:${client}:${idempotencyKey}`;
}

/** Before keys were the client's, one key named the member's change for every client. */
const sharedPointsChangeKey = (memberId: string, idempotencyKey: string) => `points:${memberId}:${idempotencyKey}`;

export class MemberDesk {
  private readonly members: Members;
  private readonly ledger: Ledger;
  private readonly expireAfterDays: number | undefined;

  constructor(deps: { db: Db; config: Config; ledgerObserver?: LedgerObserver }) {
    this.members = new Members(deps.db);
    this.ledger = new Ledger(deps.db, deps.ledgerObserver);
    this.expireAfterDays = deps.config.pointsExpiry.afterDays;
  }

  /** Throws IdentifierTakenError when another member has one of its identifiers. */
  async create(input: NewMember): Promise<MemberWithBalances> {
    // A member just created has no entries: nothing to read.
    return withPoints(await this.members.create(input), NO_POINTS);
  }

  async get(id: string): Promise<MemberWithBalances> {
    return this.withBalances(await this.existing(id));
  }

  /**
   * Writes the change as an EARN or ADJUST entry, or finds the one its key already wrote (`duplicate`). Throws the
   * ledger's refusals: InsufficientPointsError, IdempotencyKeyConflictError, LedgerContentionError, and
   * ExpiryInPastError for an earn whose expiry date has passed.
   */
  async changePoints(
    id: string,
    change: PointsChange,
  ): Promise<{ entry: LedgerEntry; duplicate: boolean; member: MemberWithBalances }> {
    const member = await this.existing(id);
    const now = new Date();
    const expiresAt = change.points > 0 ? this.expiryOf(change, now) : undefined;
    if (expiresAt !== undefined && expiresAt <= now.toISOString()) throw new ExpiryInPastError(expiresAt);
    const { entry, duplicate } = await this.ledger.append({
      memberId: member._id,
      type: change.points > 0 ? 'EARN' : 'ADJUST',
      points: change.points,
      expiresAt,
      idempotencyKey: await this.keyOf(member._id, change),
      reason: change.reason,
    });
    // A new entry is the member's newest: its running totals are their points, without reading them again.
    const points = duplicate ? await this.ledger.pointsOf(member._id) : pointsAfter(entry);
    return { entry, duplicate, member: withPoints(member, points) };
  }

  /** A page of the member's ledger, newest first unless asked for oldest first. */
  async ledgerPage(id: string, page: { skip: number; limit: number; oldestFirst: boolean }) {
    const member = await this.existing(id);
    return this.ledger.list(member._id, page);
  }

  private expiryOf(change: PointsChange, now: Date): string | undefined {
    if (change.expiresAt !== undefined) return change.expiresAt;
    return this.expireAfterDays === undefined ? undefined : defaultExpiry(now, this.expireAfterDays);
  }

  /**
   * A change written before keys were the client's answers a resend of it with the same points, as it did then, so
   * that a client retrying across the upgrade is not paid twice; otherwise the key is the client's own.
   */
  private async keyOf(memberId: string, change: PointsChange): Promise<string> {
    const shared = await this.ledger.entryWithKey(sharedPointsChangeKey(memberId, change.idempotencyKey));
    if (shared && shared.balance_delta === change.points) return shared.idempotency_key;
    return pointsChangeKey(memberId, change.clientId, change.idempotencyKey);
  }

  private async existing(id: string): Promise<Member> {
    const member = await this.members.findById(id);
    if (!member) throw new Refusal('not_found', `Member ${id} was not found.`);
    return member;
  }

  private async withBalances(member: Member): Promise<MemberWithBalances> {
    return withPoints(member, await this.ledger.pointsOf(member._id));
  }
}

function withPoints(member: Member, { balances, schedule }: MemberPoints): MemberWithBalances {
  return { member, balances, expiring: pointsExpiring(schedule) };
}
