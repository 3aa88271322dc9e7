/**
 * The API's typed client for integrators and for this project's tests and benches: openapi-fetch over the types that
 * `npm run client:generate` writes from the API's OpenAPI document (schema.d.ts). A path, a parameter or a body the
 * server does not describe fails to compile, and each answer is typed by its status: `data` for a success, `error`
 * (the API's error body) for a failure.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths };
/** The API's schemas by name, e.g. `Schemas['Redemption']`, `Schemas['Error']`. */
export type Schemas = components['schemas'];
export type LoyaltyClient = Client<paths>;

export interface LoyaltyClientOptions {
  /** Where the API answers, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** The API client's bearer key (one of API_KEYS). */
  apiKey: string;
}

export function createLoyaltyClient({ baseUrl, apiKey }: LoyaltyClientOptions): LoyaltyClient {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });
}

/**
 * Whether Create Redemption answered the whole redemption (201), or only its id and status (202: not decided within
 * the wait, or left for an operator; GET /v1/redemptions/{id} tells how it ends).
 */
export function isWholeRedemption(
  answer: Schemas['Redemption'] | Schemas['RedemptionRef'],
): answer is Schemas['Redemption'] {
  return 'coupon_code' in answer;
}
