/**
 * Which addresses vsnap may open connections to when it talks to a tenant's
 * Kubernetes API server. A kubeconfig's `server` is tenant input: without this
 * policy a tenant could point vsnap at its own port, at the cloud metadata
 * service or at anything else on the internal network.
 */
import { BlockList, isIP } from 'node:net';
import { quoted } from '../errors.ts';

/** An address or CIDR as the operator wrote it, parsed. */
export interface AddressRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

const LOOPBACK = ['127.0.0.0/8', '::1/128'];
const ALWAYS_DENIED = [
  // link-local (169.254.169.254, the AWS/GCP/Azure metadata address, is in here too)
  '169.254.0.0/16',
  'fe80::/10',
  // "this network" and the unspecified address: connecting to 0.0.0.0 or :: reaches the local host
  '0.0.0.0/8',
  '::/128',
  // cloud metadata services outside link-local: AWS over IPv6, Alibaba Cloud
  '169.254.169.254/32',
  'fd00:ec2::254/128',
  '100.100.100.200/32',
];

/** The deny list when KUBE_API_DENY_CIDRS is unset. Development keeps loopback open for the local test server. */
export function defaultDenyList(env: 'development' | 'production' | 'test'): string[] {
  return env === 'production' ? [...LOOPBACK, ...ALWAYS_DENIED] : [...ALWAYS_DENIED];
}

/** Parses a comma-separated list of addresses and CIDRs; `problems` name each bad entry. */
export function parseAddressRanges(text: string): { ranges: AddressRange[]; problems: string[] } {
  const ranges: AddressRange[] = [];
  const problems: string[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const range = parseRange(entry);
    if (range) ranges.push(range);
    else problems.push(`${quoted(entry)} is not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`);
  }
  return { ranges, problems };
}

function parseRange(entry: string): AddressRange | undefined {
  const [address = '', prefixText, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const bits = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockListOf(ranges: readonly AddressRange[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) list.addSubnet(range.address, range.prefix, range.family);
  return list;
}

/** `denied`: in KUBE_API_DENY_CIDRS; `not-allowed`: outside a non-empty KUBE_API_ALLOW_CIDRS. */
export type EgressRefusal = 'denied' | 'not-allowed';

/**
 * An address is allowed iff the allow list is empty or contains it, and the
 * deny list does not. node:net's BlockList judges an IPv4-mapped IPv6 address
 * (::ffff:127.0.0.1) as the IPv4 address it carries.
 */
export class EgressPolicy {
  private readonly allowList: BlockList | undefined;
  private readonly denyList: BlockList;

  constructor(
    readonly allow: readonly AddressRange[],
    readonly deny: readonly AddressRange[],
  ) {
    this.allowList = allow.length > 0 ? blockListOf(allow) : undefined;
    this.denyList = blockListOf(deny);
  }

  /** The policy of an environment without KUBE_API_* settings. */
  static defaults(env: 'development' | 'production' | 'test'): EgressPolicy {
    return new EgressPolicy([], parseAddressRanges(defaultDenyList(env).join(',')).ranges);
  }

  /** Why `address` (an IP literal) may not be reached, or undefined when it may. */
  refusal(address: string): EgressRefusal | undefined {
    const version = isIP(address);
    if (version === 0) return 'not-allowed';
    const family = version === 4 ? 'ipv4' : 'ipv6';
    if (this.denyList.check(address, family)) return 'denied';
    if (this.allowList && !this.allowList.check(address, family)) return 'not-allowed';
    return undefined;
  }

  allows(address: string): boolean {
    return this.refusal(address) === undefined;
  }

  /** For start-up logs: the ranges as CIDRs. */
  describe(): { allow: string[]; deny: string[] } {
    const text = (ranges: readonly AddressRange[]) => ranges.map((r) => `${r.address}/${r.prefix}`);
    return { allow: text(this.allow), deny: text(this.deny) };
  }
}

/**
 * A connection vsnap refused to open. The message is for the tenant: it names
 * the host they gave, never the address their host name resolved to (that is
 * internal DNS); `address` carries it for the operator's logs.
 */
export class EgressRefusedError extends Error {
  readonly code = 'VSNAP_EGRESS_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly refusal: EgressRefusal,
  ) {
    const where = refusal === 'denied' ? 'in a range the egress policy denies' : 'outside the ranges the egress policy allows';
    super(
      isIP(host)
        ? `API server address not allowed: ${host} is ${where}`
        : `API server address not allowed: ${quoted(host)} resolves to an address ${where}`,
    );
    this.name = 'EgressRefusedError';
  }
}

/** The host of an API server URL as a connection would use it: brackets of an IPv6 literal removed. */
export function hostOf(server: string): string | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return undefined;
  }
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * The refusal of a server whose host is an IP literal, known before any
 * connection; host names are judged at connect time, after DNS resolution.
 */
export function literalAddressRefusal(server: string, policy: EgressPolicy): EgressRefusedError | undefined {
  const host = hostOf(server);
  if (host === undefined || isIP(host) === 0) return undefined;
  const reason = policy.refusal(host);
  return reason ? new EgressRefusedError(host, host, reason) : undefined;
}
