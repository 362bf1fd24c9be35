import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';
import { RateLimitError } from '../errors.js';

/**
 * Which proxies may tell us the client address through `X-Forwarded-For`.
 *
 * - `false`: none; the socket address is the client (the default, and the only safe choice
 *   when clients connect directly).
 * - `{ hops: n }`: exactly `n` proxies you run stand in front of the app and every request
 *   passes through all of them; the client is the `n`-th address counted from the right of
 *   `[...X-Forwarded-For, socket address]`. Only safe when the app cannot be reached around
 *   the proxies.
 * - `{ proxies: [...] }`: addresses or CIDR ranges of your proxies; the client is the first
 *   address, walking from the socket address leftwards, that is not one of them. A request
 *   from any other peer has its `X-Forwarded-For` ignored.
 */
export type TrustProxy = false | { hops: number } | { proxies: readonly string[] };

/** Options of {@link clientIpResolver} and `byIp()`. */
export interface ClientIpOptions {
  /** Which proxies to believe. Default: `false` (socket address only). */
  trustProxy?: TrustProxy;
  /**
   * Reads the socket (peer) address. Default: `getConnInfo` from `@hono/node-server/conninfo`
   * (Node). On Bun, Deno or workers pass the runtime's own, e.g. `getConnInfo` from `hono/bun`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: works with any app's Env
  getSocketAddress?: (c: Context<any>) => string | undefined;
  /** Header that carries the proxy chain. Default: `'X-Forwarded-For'`. */
  header?: string;
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

// biome-ignore lint/suspicious/noExplicitAny: works with any app's Env
function nodeSocketAddress(c: Context<any>): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** Parses one address strictly (four-part IPv4 or IPv6); IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(value: string | undefined): Address | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

function parseRanges(list: readonly string[]): Array<[Address, number]> {
  return list.map((entry) => {
    const text = String(entry).trim();
    try {
      if (text.includes('/')) {
        const [addr, bits] = ipaddr.parseCIDR(text);
        if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
          return [(addr as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)];
        }
        return [addr, bits];
      }
    } catch {
      // fall through to the error below
    }
    const addr = parseIp(text);
    if (!addr) {
      throw new RateLimitError(
        'RATE_LIMIT_INVALID_OPTIONS',
        `trustProxy.proxies: ${JSON.stringify(entry)} is not an IP address or CIDR range`,
      );
    }
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  });
}

function matches(addr: Address, ranges: Array<[Address, number]>): boolean {
  for (const [range, bits] of ranges) {
    if (range.kind() !== addr.kind()) continue;
    if (addr.kind() === 'ipv4') {
      if ((addr as ipaddr.IPv4).match(range as ipaddr.IPv4, bits)) return true;
    } else if ((addr as ipaddr.IPv6).match(range as ipaddr.IPv6, bits)) return true;
  }
  return false;
}

function forwardedChain(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * Builds a function that returns the client address of a request, normalised (IPv4-mapped IPv6
 * becomes IPv4), believing `X-Forwarded-For` only as far as `trustProxy` allows. Returns
 * `undefined` when the socket address is unknown.
 *
 * @param [options.trustProxy=false] - which proxies to believe
 * @param [options.getSocketAddress] - reads the peer address (Node's by default)
 * @param [options.header='X-Forwarded-For'] - header with the proxy chain
 * @throws {RateLimitError} `RATE_LIMIT_INVALID_OPTIONS` on a bad hop count or proxy address
 * @example
 * const clientIp = clientIpResolver({ trustProxy: { proxies: ['10.0.0.0/8'] } });
 * app.use((c, next) => { c.set('clientIp', clientIp(c)); return next(); });
 */
export function clientIpResolver(
  options: ClientIpOptions = {},
  // biome-ignore lint/suspicious/noExplicitAny: works with any app's Env
): (c: Context<any>) => string | undefined {
  const {
    trustProxy = false,
    getSocketAddress = nodeSocketAddress,
    header = 'X-Forwarded-For',
  } = options;
  if (typeof getSocketAddress !== 'function') {
    throw new RateLimitError('RATE_LIMIT_INVALID_OPTIONS', '`getSocketAddress` must be a function');
  }
  if (trustProxy === false || trustProxy === undefined) {
    return (c) => parseIp(getSocketAddress(c))?.toString();
  }
  if ('hops' in trustProxy) {
    const { hops } = trustProxy;
    if (!Number.isInteger(hops) || hops < 0) {
      throw new RateLimitError(
        'RATE_LIMIT_INVALID_OPTIONS',
        `trustProxy.hops must be a non-negative integer, got ${hops}`,
      );
    }
    return (c) => {
      const socket = parseIp(getSocketAddress(c));
      if (!socket) return undefined;
      if (hops === 0) return socket.toString();
      const chain = forwardedChain(c.req.header(header));
      // Position `hops` from the right of [...chain, socket]; the socket is position 0.
      const index = chain.length - hops;
      const candidate = parseIp(chain[Math.max(index, 0)]);
      return (candidate ?? socket).toString();
    };
  }
  if ('proxies' in trustProxy && Array.isArray(trustProxy.proxies)) {
    const ranges = parseRanges(trustProxy.proxies);
    return (c) => {
      let current = parseIp(getSocketAddress(c));
      if (!current) return undefined;
      if (!matches(current, ranges)) return current.toString();
      const chain = forwardedChain(c.req.header(header));
      for (let i = chain.length - 1; i >= 0; i--) {
        const next = parseIp(chain[i]);
        // A trusted proxy only writes valid addresses: garbage means the chain ends here.
        if (!next) break;
        current = next;
        if (!matches(current, ranges)) break;
      }
      return current.toString();
    };
  }
  throw new RateLimitError(
    'RATE_LIMIT_INVALID_OPTIONS',
    'trustProxy must be false, { hops: number } or { proxies: string[] }',
  );
}

/** The bucket of an address: IPv4 as is, IPv6 reduced to its network of `prefixLength` bits. */
export function ipBucket(address: string, prefixLength: number): string {
  const addr = parseIp(address);
  if (!addr) return address;
  if (addr.kind() === 'ipv4' || prefixLength >= 128) return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.map((part, i) => {
    const bitsLeft = prefixLength - i * 16;
    if (bitsLeft >= 16) return part;
    if (bitsLeft <= 0) return 0;
    return part & (0xffff << (16 - bitsLeft)) & 0xffff;
  });
  return `${new ipaddr.IPv6(parts).toString()}/${prefixLength}`;
}
