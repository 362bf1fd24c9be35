import type { Context } from 'hono';
import { RateLimitError } from '../errors.js';
import type { KeyFunction, PrincipalLike } from '../types.js';
import type { ClientIpOptions } from './client-ip.js';
import { clientIpResolver, ipBucket } from './client-ip.js';

// biome-ignore lint/suspicious/noExplicitAny: works with any app's Env
function principalOf(c: Context<any>): PrincipalLike | undefined {
  const principal = c.get('principal') as unknown;
  return principal && typeof principal === 'object' ? (principal as PrincipalLike) : undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Keys a policy by the authenticated user: `c.var.principal.sub`, as set by the auth
 * middleware. Anonymous requests are not counted by this policy.
 *
 * @example
 * rateLimit({ policies: [{ name: 'per-user', limit: 100, windowMs: 60_000, key: byUser() }] });
 */
export function byUser(): KeyFunction {
  return function userKey(c) {
    const sub = nonEmpty(principalOf(c)?.sub);
    return sub === undefined ? undefined : `user:${sub}`;
  };
}

/**
 * Keys a policy by the principal's tenant: `c.var.principal.tenant`. Requests without a tenant
 * are not counted by this policy.
 *
 * @example
 * rateLimit({ policies: [{ name: 'per-tenant', limit: 1000, windowMs: 60_000, key: byTenant() }] });
 */
export function byTenant(): KeyFunction {
  return function tenantKey(c) {
    const tenant = nonEmpty(principalOf(c)?.tenant);
    return tenant === undefined ? undefined : `tenant:${tenant}`;
  };
}

/**
 * Keys a policy by an API key header. The store only ever sees a SHA-256 digest of the key,
 * never the key itself. Requests without the header are not counted by this policy.
 *
 * @param [header='X-Api-Key'] - request header carrying the key
 * @example
 * rateLimit({ policies: [{ name: 'per-key', limit: 600, windowMs: 60_000, key: byApiKey() }] });
 */
export function byApiKey(header = 'X-Api-Key'): KeyFunction {
  if (typeof header !== 'string' || header.length === 0) {
    throw new RateLimitError('RATE_LIMIT_INVALID_OPTIONS', 'byApiKey needs a header name');
  }
  const encoder = new TextEncoder();
  return async function apiKeyKey(c) {
    const value = nonEmpty(c.req.header(header));
    if (value === undefined) return undefined;
    const digest = await crypto.subtle.digest('SHA-256', encoder.encode(value));
    const hex = Array.from(new Uint8Array(digest).subarray(0, 16), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    return `apikey:${hex}`;
  };
}

/** Options of {@link byIp}. */
export interface ByIpOptions extends ClientIpOptions {
  /** IPv6 clients are counted per network of this many bits (one customer usually has a /64). Default: `64`. */
  ipv6PrefixLength?: number;
}

/**
 * Keys a policy by client IP address. The address is the socket's peer unless `trustProxy`
 * says which proxies may report it through `X-Forwarded-For`; a spoofed header from any other
 * peer is ignored. IPv6 addresses are grouped per /64 by default.
 *
 * @param [options.trustProxy=false] - `false`, `{ hops: n }` or `{ proxies: ['10.0.0.0/8', …] }`
 * @param [options.getSocketAddress] - peer address reader (Node's `getConnInfo` by default)
 * @param [options.header='X-Forwarded-For'] - header with the proxy chain
 * @param [options.ipv6PrefixLength=64] - IPv6 grouping
 * @throws {RateLimitError} `RATE_LIMIT_INVALID_OPTIONS` on bad options; at request time
 *   `RATE_LIMIT_CLIENT_IP_UNAVAILABLE` when the socket address cannot be read (wrong runtime adapter)
 * @example
 * rateLimit({
 *   policies: [{ name: 'per-ip', limit: 60, windowMs: 60_000, key: byIp({ trustProxy: { hops: 1 } }) }],
 * });
 */
export function byIp(options: ByIpOptions = {}): KeyFunction {
  const { ipv6PrefixLength = 64, ...rest } = options;
  if (!Number.isInteger(ipv6PrefixLength) || ipv6PrefixLength < 1 || ipv6PrefixLength > 128) {
    throw new RateLimitError(
      'RATE_LIMIT_INVALID_OPTIONS',
      `ipv6PrefixLength must be an integer from 1 to 128, got ${ipv6PrefixLength}`,
    );
  }
  const resolve = clientIpResolver(rest);
  return function ipKey(c) {
    const ip = resolve(c);
    if (ip === undefined) {
      // Skipping the policy would silently disable it; fail loudly instead.
      throw new RateLimitError(
        'RATE_LIMIT_CLIENT_IP_UNAVAILABLE',
        'byIp could not read the socket address; pass `getSocketAddress` for this runtime',
      );
    }
    return `ip:${ipBucket(ip, ipv6PrefixLength)}`;
  };
}
