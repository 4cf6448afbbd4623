import { BlockList, isIP } from 'node:net';

/** Loopback and private ranges: where Prometheus scrapes from on a host or a private network. */
export const DEFAULT_METRICS_ALLOW = [
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fc00::/7',
];

/** Why an entry is not an address or CIDR, or null when it is one. */
export function cidrProblem(entry: string): string | null {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return `${entry} is not an IP address or CIDR`;
  if (prefix === undefined) return null;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(bits >= 0 && bits <= (family === 4 ? 32 : 128))) return `${entry} has a bad prefix length`;
  return null;
}

/** IPv4 peers arrive as ::ffff:a.b.c.d on a dual-stack socket. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  const plain = mapped?.[1] ?? address;
  const family = isIP(plain);
  if (family === 0) return null;
  return { address: plain, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** Matches a peer address against a list of addresses/CIDRs (validated beforehand with cidrProblem). */
export class AddressAllowList {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const [address = '', prefix] = entry.split('/');
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
  }

  allows(peer: string | undefined): boolean {
    if (!peer || this.empty) return false;
    const normalised = normalise(peer);
    return normalised ? this.list.check(normalised.address, normalised.family) : false;
  }
}
