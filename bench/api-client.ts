/**
 * The benchmarks' HTTP client of the product's API: the typed client (client/), so that the benches call the API as
 * its OpenAPI document describes it, with every answer checked against the status it should have.
 */
import { createLoyaltyClient, isWholeRedemption, type LoyaltyClient, type Schemas } from '../client';

export type ApiClient = LoyaltyClient;

export function apiClient(url: string, apiKey: string): ApiClient {
  return createLoyaltyClient({ baseUrl: url, apiKey });
}

/** The body of the answer to `request`, once it is known to have come with `status`. */
export async function answered<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
  status: number,
): Promise<T> {
  const { data, error, response } = await request;
  if (response.status !== status) {
    const body = JSON.stringify(error ?? data);
    throw new Error(`${response.url} answered ${response.status}, expected ${status}: ${body}`);
  }
  return data as T;
}

/** Create Redemption's answer, once it is known to be the whole redemption with the status expected. */
export function redemptionIn(
  answer: Schemas['Redemption'] | Schemas['RedemptionRef'],
  status: Schemas['Redemption']['status'],
): Schemas['Redemption'] {
  if (!isWholeRedemption(answer) || answer.status !== status) {
    throw new Error(`expected a ${status} redemption, got ${JSON.stringify(answer)}`);
  }
  return answer;
}
