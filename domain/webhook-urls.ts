/**
 * Where merchant webhooks may go: public internet addresses only, unless WEBHOOK_ALLOW_PRIVATE_URLS says otherwise
 * (a merchant's own test receiver on this machine, say). Otherwise an API key would be enough to make the workers
 * send requests into the network they run in: to the cloud's metadata service, the store, the admin ports.
 *
 * The special ranges are ipaddr.js's (the IANA registries, kept up to date there): an address is public only when it
 * is in none of them. An IPv6 address that carries an IPv4 one (IPv4-mapped and -translated, NAT64's well-known prefix,
 * 6to4, Teredo) reaches that IPv4 address, so it is judged by it. NAT64's local-use prefix (64:ff9b:1::/48) puts the
 * IPv4 address wherever its operator chose, so none of it is public; nor is the deprecated IPv4-compatible form
 * (::a.b.c.d, ::/96), which the library does not name.
 */
import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

function ipv4Of(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** The IPv4 addresses an IPv6 address of an embedding range reaches; none known when it is not one. */
function carriedIPv4(address: ipaddr.IPv6): ipaddr.IPv4[] | undefined {
  const parts = address.parts;
  switch (address.range() as string) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return [ipv4Of(parts[6]!, parts[7]!)];
    case 'rfc6052':
      return address.match(NAT64_WELL_KNOWN) ? [ipv4Of(parts[6]!, parts[7]!)] : undefined;
    case '6to4':
      return [ipv4Of(parts[1]!, parts[2]!)];
    case 'teredo':
      // The Teredo server, and the client behind it (its address stored inverted).
      return [ipv4Of(parts[2]!, parts[3]!), ipv4Of(~parts[6]! & 0xffff, ~parts[7]! & 0xffff)];
    default:
      return undefined;
  }
}

function isPublicIPv4(address: ipaddr.IPv4): boolean {
  return address.range() === 'unicast';
}

/** Whether an IP address is a public internet one; false for anything that is not an IP address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return isPublicIPv4(ipaddr.IPv4.parse(address));
  // ipaddr.js reads any dotted IPv4 tail as IPv4-mapped (::8.8.8.8 as ::ffff:8.8.8.8); the URL parser writes every
  // IPv6 address in hexadecimal first, so that each form keeps its own range.
  // A zone (fe80::1%eth0) names an interface of this machine: the URL parser refuses it.
  if (!URL.canParse(`http://[${address}]/`)) return false;
  const ipv6 = ipaddr.IPv6.parse(new URL(`http://[${address}]/`).hostname.slice(1, -1));
  const carried = carriedIPv4(ipv6);
  if (carried) return carried.every(isPublicIPv4);
  return ipv6.range() === 'unicast' && !ipv6.match(IPV4_COMPATIBLE);
}

/**
 * Whether a URL names a machine that is not on the public internet by its host alone: localhost, or an IP address
 * outside it (the URL parser has already turned forms like 0x7f.1 or 2130706433 into dotted quads). A name is judged
 * again where it matters, by what it resolves to when a delivery connects.
 */
export function namesPrivateHost(url: URL): boolean {
  // Brackets around an IPv6 address, and the root's dot after a name ("localhost."), name the same host.
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isIP(host) !== 0 && !isPublicAddress(host);
}
