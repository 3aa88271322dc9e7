/**
 * The HTTP client of webhook deliveries when endpoints must be public (WEBHOOK_ALLOW_PRIVATE_URLS off): it sends
 * nothing to a URL whose host names a private address (the registration rule, for endpoints stored before it held),
 * and connects only to public addresses of what a name resolves to at the moment it connects, so a name that points
 * at a private address (or is made to, after registration) gets no request either.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { isPublicAddress, namesPrivateHost } from '../domain/webhook-urls';

/** The code of the connection error for a name that resolves to no public address. */
export const NOT_PUBLIC_CODE = 'EADDRNOTPUBLIC';

export function notPublic(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: NOT_PUBLIC_CODE });
}

type Resolve = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export function publicOnlyLookup(resolve: Resolve = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((address) => isPublicAddress(address.address));
      if (allowed.length === 0) return callback(notPublic(`${hostname} resolves to no public address`), '', 0);
      if (options.all) (callback as unknown as Parameters<Resolve>[2])(null, allowed);
      else callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

export function publicOnlyDispatcher(resolve?: Resolve): Dispatcher {
  // An IP address is connected to without a lookup: it is judged, like names, before the request.
  return new Agent({ connect: { lookup: publicOnlyLookup(resolve) } }).compose((dispatch) => (options, handler) => {
    const origin = new URL(String(options.origin));
    if (namesPrivateHost(origin)) throw notPublic(`${origin.host} is not a public address`);
    return dispatch(options, handler);
  });
}
