/**
 * What an operator reads about a redemption in the Temporal UI: the summary and details fixed at start, and the
 * current details at each state change. They are built from the catalogue, amounts, statuses and our own ids only;
 * nothing here takes a member's identifier, so no email, phone, POS or external id can reach them.
 */
import type { RedemptionOption } from './options';
import { pointsForRedemption } from './reward';
import type { RedemptionStatus, RejectionReason } from './states';

/** The fields of a Create Redemption request that say what is redeemed (never who redeems it). */
export interface RedeemedReward {
  redemption_option_id: number;
  delay_points_deduction: boolean;
  point_redemptions?: number;
}

const MAX_NAME_LENGTH = 60;

/** A catalogue name on one line, short enough for a list column. */
function oneLine(name: string): string {
  const flat = name.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_NAME_LENGTH ? `${flat.slice(0, MAX_NAME_LENGTH - 1)}…` : flat;
}

function rewardOf(optionId: number, option: RedemptionOption | null): string {
  return option ? `${oneLine(option.name)} (option ${optionId})` : `option ${optionId} (not in the catalogue)`;
}

/** The points the redemption will cost, when the catalogue and the request say so. */
function pointsOf(reward: RedeemedReward, option: RedemptionOption | null): number | undefined {
  if (!option) return reward.point_redemptions;
  const decision = pointsForRedemption(option, reward.point_redemptions);
  return decision.ok ? decision.points : reward.point_redemptions;
}

function pointsText(points: number | undefined): string {
  return points === undefined ? '? points' : `${points} points`;
}

/**
 * The workflow's static summary (one line) and static details (a markdown list), from the request's reward and the
 * catalogue's option (null when the option does not exist). The Temporal UI shows both on the workflow's page.
 */
export function redemptionStartSummary(
  redemptionId: string,
  reward: RedeemedReward,
  option: RedemptionOption | null,
  orderId?: string,
): { staticSummary: string; staticDetails: string } {
  const points = pointsOf(reward, option);
  const partner = option?.partner ?? 'none';
  const mode = reward.delay_points_deduction ? 'delayed' : 'immediate';
  const staticSummary = `${pointsText(points)} for ${rewardOf(reward.redemption_option_id, option)} · partner ${partner} · ${mode} · pending`;
  const details = [
    `Redemption ${redemptionId}`,
    `Reward: ${rewardOf(reward.redemption_option_id, option)}${option ? `, ${option.type}` : ''}`,
    `Points: ${points ?? 'decided by the catalogue'}`,
    `Partner: ${partner}`,
    reward.delay_points_deduction
      ? 'Points are held until the order arrives, then captured'
      : 'Points are debited at once',
    ...(orderId ? [`Order: ${orderId}`] : []),
  ];
  return { staticSummary, staticDetails: details.map((line) => `- ${line}`).join('\n') };
}

/** What the workflow knows of its redemption at a state change. */
export interface RedemptionProgress {
  status: RedemptionStatus;
  points?: number;
  partner?: string | null;
  reason?: RejectionReason | null;
  expiresAt?: string;
  orderId?: string | null;
}

function statusLine({ status, points, partner, reason, expiresAt, orderId }: RedemptionProgress): string {
  const amount = pointsText(points);
  switch (status) {
    case 'pending':
      return 'Checking eligibility';
    case 'rejected':
      return `Rejected: ${reason ?? 'unknown reason'}; no points moved`;
    case 'awaiting_order':
      return `Awaiting its order: ${amount} held until ${expiresAt ?? 'the coupon expires'}`;
    case 'redeeming':
      return partner ? `${amount} debited; partner ${partner} fulfilling` : `${amount} debited; completing`;
    case 'completed':
      return `Completed: ${amount} debited${orderId ? ` for order ${orderId}` : ''}`;
    case 'expired':
      return `Expired: no order came; ${amount} released`;
    case 'cancelled':
      return `Cancelled: ${amount} released`;
    case 'compensated':
      return `Compensated: the partner could not fulfil; ${amount} refunded, coupon void`;
    case 'refunded':
      return `Refunded: ${amount} given back (order cancelled or an operator's refund)`;
    case 'needs_review':
      return `Needs review: the partner never answered for sure; ${amount} stay debited until an operator resolves it`;
  }
}

/** The workflow's current details (markdown): its status, then what happened or what it waits for. */
export function redemptionCurrentDetails(progress: RedemptionProgress): string {
  return [`Status: **${progress.status}**`, statusLine(progress)].join('\n\n');
}
