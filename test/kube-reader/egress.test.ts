/** The egress policy's semantics: allow iff (allow list empty or containing it) and not denied. */
import { describe, expect, it } from 'vitest';
import { defaultDenyList, EgressPolicy, EgressRefusedError, hostOf, literalAddressRefusal, parseAddressRanges } from '../../src/kube/egress.ts';

const policy = (allow: string, deny: string) => new EgressPolicy(parseAddressRanges(allow).ranges, parseAddressRanges(deny).ranges);

describe('parseAddressRanges', () => {
  it('reads addresses and CIDRs of both families, spaces and empty entries ignored', () => {
    expect(parseAddressRanges(' 10.0.0.0/8, 192.168.1.7 ,fd00::/8,, ::1,').problems).toEqual([]);
    expect(parseAddressRanges(' 10.0.0.0/8, 192.168.1.7 ,fd00::/8,, ::1').ranges).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '192.168.1.7', prefix: 32, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
      { address: '::1', prefix: 128, family: 'ipv6' },
    ]);
  });

  it.each(['10.0.0.0/33', 'fd00::/129', '10.0.0.0/', '10.0.0.0/8/8', 'example.com', '10.0.0.256', '10.0.0.0/-1', '10.0.0.0/08x'])('refuses %s', (entry) => {
    const { ranges, problems } = parseAddressRanges(`10.0.0.1, ${entry}`);
    expect(ranges).toHaveLength(1);
    expect(problems).toEqual([`${JSON.stringify(entry)} is not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`]);
  });
});

describe('EgressPolicy', () => {
  it.each<[string, string, boolean]>([
    ['127.0.0.1', 'production loopback', false],
    ['127.255.0.9', 'production loopback range', false],
    ['::1', 'IPv6 loopback', false],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback', false],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex', false],
    ['169.254.169.254', 'cloud metadata', false],
    ['169.254.10.1', 'link-local', false],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata', false],
    ['fe80::1', 'IPv6 link-local', false],
    ['fd00:ec2::254', 'AWS IPv6 metadata', false],
    ['100.100.100.200', 'Alibaba metadata', false],
    ['0.0.0.0', 'unspecified', false],
    ['::', 'IPv6 unspecified', false],
    ['10.1.2.3', 'a private address', true],
    ['100.100.100.199', 'next to a metadata address', true],
    ['2001:db8::1', 'a public IPv6 address', true],
  ])('production defaults: %s (%s) allowed=%s', (address, _, allowed) => {
    expect(EgressPolicy.defaults('production').allows(address)).toBe(allowed);
  });

  it('development and test keep loopback open and everything else the same', () => {
    for (const env of ['development', 'test'] as const) {
      const dev = EgressPolicy.defaults(env);
      expect([dev.allows('127.0.0.1'), dev.allows('::1'), dev.allows('169.254.169.254'), dev.allows('0.0.0.0'), dev.allows('fe80::1')]).toEqual([true, true, false, false, false]);
    }
  });

  it('an allow list admits only its ranges, and the deny list still wins inside them', () => {
    const p = policy('10.0.0.0/8, fd00::/8', '10.9.0.0/16');
    expect(p.refusal('10.1.2.3')).toBeUndefined();
    expect(p.refusal('fd00::1')).toBeUndefined();
    expect(p.refusal('11.0.0.1')).toBe('not-allowed');
    expect(p.refusal('::ffff:11.0.0.1')).toBe('not-allowed');
    expect(p.refusal('10.9.1.1')).toBe('denied');
  });

  it('an empty deny list and an empty allow list allow everything', () => {
    expect(policy('', '').allows('127.0.0.1')).toBe(true);
    expect(policy('', '').allows('169.254.169.254')).toBe(true);
  });

  it('describe() lists the ranges as CIDRs', () => {
    expect(policy('10.0.0.0/8', '10.9.9.9').describe()).toEqual({ allow: ['10.0.0.0/8'], deny: ['10.9.9.9/32'] });
  });
});

describe('literalAddressRefusal', () => {
  const production = EgressPolicy.defaults('production');
  it.each([
    ['https://127.0.0.1:6443', '127.0.0.1'],
    ['https://[::1]:6443', '::1'],
    ['https://[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['http://169.254.169.254/latest', '169.254.169.254'],
  ])('refuses %s', (server, address) => {
    expect(literalAddressRefusal(server, production)).toMatchObject({
      address,
      message: `API server address not allowed: ${address} is in a range the egress policy denies`,
    });
  });

  it('leaves host names to connect time, and allowed literals alone', () => {
    expect(literalAddressRefusal('https://localhost:6443', production)).toBeUndefined();
    expect(literalAddressRefusal('https://10.0.0.1:6443', production)).toBeUndefined();
  });
});

describe('the default deny list', () => {
  const ALWAYS = ['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128', '169.254.169.254/32', 'fd00:ec2::254/128', '100.100.100.200/32'];

  it('is link-local, the unspecified addresses and the cloud metadata services; production adds loopback', () => {
    expect(defaultDenyList('production')).toEqual(['127.0.0.0/8', '::1/128', ...ALWAYS]);
    expect(defaultDenyList('development')).toEqual(ALWAYS);
    expect(defaultDenyList('test')).toEqual(ALWAYS);
  });

  it('parses without a problem into the policy the start-up log shows', () => {
    expect(parseAddressRanges(defaultDenyList('production').join(',')).problems).toEqual([]);
    expect(EgressPolicy.defaults('production').describe()).toEqual({ allow: [], deny: ['127.0.0.0/8', '::1/128', ...ALWAYS] });
  });
});

describe('addresses that are none', () => {
  it.each(['example.com', '', '10.0.0', '[::1]'])('%j is not allowed, whatever the lists say', (address) => {
    expect(policy('', '').refusal(address)).toBe('not-allowed');
    expect(policy('', '').allows(address)).toBe(false);
  });
});

describe('EgressRefusedError', () => {
  it('names the host the tenant gave, keeps the address for the log, and has its code', () => {
    const byName = new EgressRefusedError('vc.example.com', '10.0.0.1', 'not-allowed');
    expect(byName).toMatchObject({
      name: 'EgressRefusedError',
      code: 'VSNAP_EGRESS_REFUSED',
      host: 'vc.example.com',
      address: '10.0.0.1',
      refusal: 'not-allowed',
      message: 'API server address not allowed: "vc.example.com" resolves to an address outside the ranges the egress policy allows',
    });
    expect(new EgressRefusedError('10.0.0.1', '10.0.0.1', 'denied').message).toBe('API server address not allowed: 10.0.0.1 is in a range the egress policy denies');
  });
});

describe('hostOf', () => {
  it.each([
    ['https://vc.example.com:6443', 'vc.example.com'],
    ['https://[fd00::1]:6443/', 'fd00::1'],
    ['https://10.0.0.1', '10.0.0.1'],
    ['not a url', undefined],
  ])('%s -> %s', (server, host) => {
    expect(hostOf(server)).toBe(host);
  });
});
