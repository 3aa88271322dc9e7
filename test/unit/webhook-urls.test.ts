import type { LookupAddress } from 'node:dns';
import { createServer, type AddressInfo } from 'node:net';
import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { NOT_PUBLIC_CODE, publicOnlyDispatcher, publicOnlyLookup } from '../../activities/public-only-dispatcher';
import { isPublicAddress, namesPrivateHost } from '../../domain/webhook-urls';

describe('where webhooks may go', () => {
  it.each([
    'http://localhost/hook',
    'http://LOCALHOST./hook',
    'http://api.localhost/hook',
    'http://127.0.0.1:8080/hook',
    'http://0x7f.1/hook',
    'http://2130706433/hook',
    'http://0.0.0.0/hook',
    'http://10.1.2.3/hook',
    'http://172.20.0.5/hook',
    'http://192.168.1.10/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/hook',
    'http://[::1]/hook',
    'http://[::]/hook',
    'http://[fd00::1]/hook',
    'http://[fe80::1]/hook',
    'http://[::ffff:10.0.0.1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
  ])('refuses %s by its host alone', (url) => {
    expect(namesPrivateHost(new URL(url))).toBe(true);
  });

  it.each([
    'https://merchant.example.com/hook',
    'https://8.8.8.8/hook',
    'https://[2001:4860:4860::8888]/hook',
    'https://localhost.example.com/hook',
    'https://172.32.0.1/hook',
  ])('leaves %s to be judged by what it resolves to', (url) => {
    expect(namesPrivateHost(new URL(url))).toBe(false);
  });

  it('tells public addresses from the others, IPv4 written as IPv6 included', () => {
    expect(isPublicAddress('93.184.216.34')).toBe(true);
    expect(isPublicAddress('2606:2800:220:1:248:1893:25c8:1946')).toBe(true);
    expect(isPublicAddress('::ffff:93.184.216.34')).toBe(true);
    expect(isPublicAddress('10.0.0.1')).toBe(false);
    expect(isPublicAddress('::ffff:192.168.0.1')).toBe(false);
    expect(isPublicAddress('not an address')).toBe(false);
    expect(isPublicAddress('fe80::1%eth0')).toBe(false);
  });
});

describe('IPv6 forms that reach an IPv4 address or this host', () => {
  // Each range of ipaddr.js that carries an IPv4 address, with a private or local one and with a public one.
  it.each([
    ['NAT64 well-known prefix, loopback', '64:ff9b::127.0.0.1', false],
    ['NAT64 well-known prefix, private', '64:ff9b::a00:1', false],
    ['NAT64 well-known prefix, metadata service', '64:ff9b::169.254.169.254', false],
    ['NAT64 well-known prefix, public', '64:ff9b::8.8.8.8', true],
    ['NAT64 local-use prefix, private', '64:ff9b:1::a00:1', false],
    ['NAT64 local-use prefix, public (where the IPv4 sits is the operator’s choice)', '64:ff9b:1:808:808::', false],
    ['IPv4-compatible, loopback', '::127.0.0.1', false],
    ['IPv4-compatible, public (a deprecated form)', '::8.8.8.8', false],
    ['IPv4-mapped, private', '::ffff:192.168.0.1', false],
    ['IPv4-mapped, public', '::ffff:8.8.8.8', true],
    ['IPv4-translated, loopback', '::ffff:0:127.0.0.1', false],
    ['IPv4-translated, public', '::ffff:0:8.8.8.8', true],
    ['6to4, loopback', '2002:7f00:1::1', false],
    ['6to4, private', '2002:a00:1::1', false],
    ['6to4, public', '2002:808:808::1', true],
    ['Teredo, private server', '2001:0:a00:1::f7f7:fbfb', false],
    ['Teredo, loopback client', '2001:0:808:808::80ff:fffe', false],
    ['Teredo, public server and client', '2001:0:808:808::f7f7:fbfb', true],
    ['site-local', 'fec0::1', false],
    ['unique local', 'fd12:3456::1', false],
    ['discard-only', '100::1', false],
    ['documentation', '2001:db8::1', false],
    ['global unicast', '2a00:1450:4001:80b::200e', true],
  ])('%s (%s): public is %s', (_what, address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
    expect(namesPrivateHost(new URL(`https://[${address}]/hook`))).toBe(!expected);
  });

  it('judges IPv4 by the same registry: documentation, benchmarking and reserved ranges are not public', () => {
    for (const address of ['192.0.2.1', '198.51.100.7', '203.0.113.9', '198.18.0.1', '240.0.0.1', '255.255.255.255']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });
});

describe('the public-only lookup', () => {
  const resolvingTo =
    (...addresses: string[]) =>
    (_host: string, _options: unknown, callback: (error: null, found: LookupAddress[]) => void) =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
  const lookUp = (resolve: ReturnType<typeof resolvingTo>, all: boolean) =>
    new Promise<{ error: NodeJS.ErrnoException | null; found: unknown }>((done) =>
      publicOnlyLookup(resolve)('merchant.example', { all }, (error, found) => done({ error, found })),
    );

  it('refuses a name that resolves only to private addresses', async () => {
    const { error } = await lookUp(resolvingTo('10.0.0.5', '::1'), false);
    expect(error?.code).toBe(NOT_PUBLIC_CODE);
  });

  it('connects to the public addresses of a name that has both, and never to the others', async () => {
    expect((await lookUp(resolvingTo('192.168.0.7', '93.184.216.34'), false)).found).toBe('93.184.216.34');
    expect((await lookUp(resolvingTo('192.168.0.7', '93.184.216.34', '::1'), true)).found).toEqual([
      { address: '93.184.216.34', family: 4 },
    ]);
  });

  it.each([
    ['a name that resolves to this machine', 'merchant.example', '127.0.0.1'],
    ['localhost', 'localhost', '127.0.0.1'],
    ['an IP address of this machine', '127.0.0.1', '127.0.0.1'],
    ...[
      '64:ff9b::7f00:1',
      '64:ff9b:1::7f00:1',
      '::127.0.0.1',
      '::ffff:0:7f00:1',
      '2002:7f00:1::1',
      '2001:0:808:808::80ff:fffe',
      'fec0::1',
    ].map((address) => [`a name that resolves to ${address}`, 'merchant.example', address]),
  ])('makes a real request to %s fail before anything is sent', async (_what, host, resolvesTo) => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // merchant.example "resolves" to the server's address, as a public name pointed at a private one would.
      const failure = await fetch(`http://${host}:${port}/hook`, {
        method: 'POST',
        dispatcher: publicOnlyDispatcher(resolvingTo(resolvesTo!)),
      }).catch((error: unknown) => error);
      expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe(NOT_PUBLIC_CODE);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });
});
