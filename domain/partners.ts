/**
 * The partners that fulfil rewards or send us webhooks. Adding a partner that uses an existing auth scheme is one
 * entry here; its secrets and URLs come from `<NAME>_INBOUND_SECRET`, `<NAME>_REDEEM_URL`, `<NAME>_OUTBOUND_SECRET`.
 */
export const PARTNER_NAMES = ['flavours', 'retm', 'bonat', 'loyapro', 'deliverect'] as const;
export type PartnerName = (typeof PARTNER_NAMES)[number];

/** How a credential travels: an `api-token` header, a bearer token, or an HMAC-SHA256 signature of the raw body. */
export type AuthScheme = 'api-token' | 'bearer' | 'hmac-sha256';

export interface PartnerDefinition {
  name: PartnerName;
  /** Human name for logs and docs. */
  title: string;
  auth: AuthScheme;
  /** POS partners send check_reward / redeem_reward webhooks for coupons. */
  posWebhooks: boolean;
}

export const PARTNERS: Record<PartnerName, PartnerDefinition> = {
  flavours: { name: 'flavours', title: 'Flavours POS', auth: 'api-token', posWebhooks: true },
  retm: { name: 'retm', title: 'RETM POS', auth: 'bearer', posWebhooks: true },
  bonat: { name: 'bonat', title: 'Bonat', auth: 'api-token', posWebhooks: true },
  loyapro: { name: 'loyapro', title: 'Loyapro', auth: 'api-token', posWebhooks: true },
  deliverect: { name: 'deliverect', title: 'Deliverect', auth: 'hmac-sha256', posWebhooks: false },
};

export function isPartnerName(value: string): value is PartnerName {
  return (PARTNER_NAMES as readonly string[]).includes(value);
}
