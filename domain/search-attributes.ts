import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that let operators find redemptions in the Temporal UI. */
export const RedemptionStatusKey = defineSearchAttributeKey('RedemptionStatus', SearchAttributeType.KEYWORD);
export const MemberIdKey = defineSearchAttributeKey('MemberId', SearchAttributeType.KEYWORD);
export const CouponCodeKey = defineSearchAttributeKey('CouponCode', SearchAttributeType.KEYWORD);
export const PartnerKey = defineSearchAttributeKey('Partner', SearchAttributeType.KEYWORD);
export const OptionIdKey = defineSearchAttributeKey('OptionId', SearchAttributeType.INT);
export const RedemptionIdKey = defineSearchAttributeKey('RedemptionId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [
  RedemptionStatusKey,
  MemberIdKey,
  CouponCodeKey,
  PartnerKey,
  OptionIdKey,
  RedemptionIdKey,
];
