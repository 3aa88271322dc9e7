/**
 * What an API key may do. Each key belongs to a client and carries scopes; a call outside them is refused before it
 * changes anything. A till gets `redemptions` and `orders`, the merchant's app `redemptions` and `members:read`, an
 * operator's console `operator` and `reports`, so that a leaked key can do no more than its holder needed.
 */
export const SCOPES = [
  'redemptions',
  'orders',
  'members:read',
  'members:write',
  'options:write',
  'operator',
  'webhooks',
  'webhooks:all',
  'reports',
] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Who is calling: the client an API key belongs to, and what that key may do. */
export interface Caller {
  client: string;
  scopes: ReadonlySet<Scope>;
}

export function hasEveryScope(scopes: ReadonlySet<Scope>): boolean {
  return SCOPES.every((scope) => scopes.has(scope));
}

/** An operator reads every client's redemptions; any other caller only its own. */
export function readsEveryRedemption(caller: Caller): boolean {
  return caller.scopes.has('operator');
}
