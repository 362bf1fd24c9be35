import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitError } from '../errors.js';
import { rateLimit } from '../rate-limit/index.js';
import { type Served, serveApp } from '../test/http.js';
import { clientIpResolver, ipBucket } from './client-ip.js';
import type { ByIpOptions } from './index.js';
import { byIp } from './index.js';

/** An app limited to one request per client IP that echoes the key it was counted under. */
function ipLimitedApp(options: ByIpOptions) {
  const key = byIp(options);
  const seen: string[] = [];
  const app = new Hono();
  app.use(rateLimit({ policies: [{ name: 'per-ip', limit: 1, windowMs: 60_000, key }] }));
  app.get('/', async (c) => {
    const bucket = (await key(c)) ?? 'none';
    seen.push(bucket);
    return c.json({ bucket });
  });
  app.onError((err, c) =>
    c.json({ code: err instanceof RateLimitError ? err.code : 'other' }, 500),
  );
  return { app, seen };
}

describe('byIp over real HTTP (socket address from @hono/node-server)', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  const get = (xff?: string) =>
    fetch(`${served?.url}/`, { headers: xff ? { 'X-Forwarded-For': xff } : {} });

  it('ignores a spoofed X-Forwarded-For when no proxy is trusted', async () => {
    const { app, seen } = ipLimitedApp({});
    served = await serveApp(app);
    const first = await get('203.0.113.1');
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ bucket: 'ip:127.0.0.1' });
    const spoofed = await get('198.51.100.2');
    expect(spoofed.status).toBe(429);
    expect(((await spoofed.json()) as { type: string }).type).toBe('urn:problem-type:rate-limited');
    expect(seen).toEqual(['ip:127.0.0.1']);
  });

  it('ignores X-Forwarded-For from a peer outside the trusted proxy list', async () => {
    const { app, seen } = ipLimitedApp({ trustProxy: { proxies: ['10.0.0.0/8', '192.0.2.7'] } });
    served = await serveApp(app);
    expect((await get('203.0.113.1')).status).toBe(200);
    expect((await get('198.51.100.2')).status).toBe(429);
    expect(seen).toEqual(['ip:127.0.0.1']);
  });

  it('takes the first untrusted address from the right when the peer is a trusted proxy', async () => {
    const { app, seen } = ipLimitedApp({ trustProxy: { proxies: ['127.0.0.0/8', '10.0.0.0/8'] } });
    served = await serveApp(app);
    // The client forged the left part; the proxies appended 203.0.113.9 and 10.1.2.3.
    expect((await get('6.6.6.6, 203.0.113.9, 10.1.2.3')).status).toBe(200);
    // A different forged prefix does not buy a new bucket.
    expect((await get('7.7.7.7, 203.0.113.9, 10.1.2.3')).status).toBe(429);
    // A different real client does.
    expect((await get('203.0.113.10')).status).toBe(200);
    expect(seen).toEqual(['ip:203.0.113.9', 'ip:203.0.113.10']);
  });

  it('with { hops: 1 } uses the address the one proxy appended', async () => {
    const { app, seen } = ipLimitedApp({ trustProxy: { hops: 1 } });
    served = await serveApp(app);
    expect((await get('6.6.6.6, 203.0.113.9')).status).toBe(200);
    expect((await get('7.7.7.7, 203.0.113.9')).status).toBe(429);
    expect((await get()).status).toBe(200);
    expect(seen).toEqual(['ip:203.0.113.9', 'ip:127.0.0.1']);
  });
});

describe('clientIpResolver on any runtime (injected socket address)', () => {
  async function resolveWith(
    options: Parameters<typeof clientIpResolver>[0],
    socket: string | undefined,
    xff?: string,
  ) {
    const resolve = clientIpResolver({ ...options, getSocketAddress: () => socket });
    const app = new Hono();
    app.get('/', (c) => c.json({ ip: resolve(c) ?? null }));
    const res = await app.request('/', { headers: xff ? { 'X-Forwarded-For': xff } : {} });
    return ((await res.json()) as { ip: string | null }).ip;
  }

  it('normalises IPv4-mapped IPv6 socket addresses', async () => {
    expect(await resolveWith({}, '::ffff:192.0.2.1')).toBe('192.0.2.1');
  });

  it('stops at a malformed hop instead of believing what lies left of it', async () => {
    const trust = { trustProxy: { proxies: ['10.0.0.0/8'] } } as const;
    expect(await resolveWith(trust, '10.0.0.1', '203.0.113.5, not-an-ip, 10.0.0.2')).toBe(
      '10.0.0.2',
    );
  });

  it('falls back to the socket when hops point at garbage and to the furthest hop when too few', async () => {
    expect(await resolveWith({ trustProxy: { hops: 1 } }, '10.0.0.1', 'garbage')).toBe('10.0.0.1');
    expect(await resolveWith({ trustProxy: { hops: 3 } }, '10.0.0.1', '203.0.113.5')).toBe(
      '203.0.113.5',
    );
  });

  it('returns undefined without a socket address, and byIp refuses to guess', async () => {
    expect(await resolveWith({}, undefined, '203.0.113.5')).toBeNull();
    const app = new Hono();
    app.use(rateLimit({ policies: [{ name: 'per-ip', limit: 5, windowMs: 60_000, key: byIp() }] }));
    app.get('/', (c) => c.text('reached'));
    app.onError((err, c) =>
      c.json({ code: err instanceof RateLimitError ? err.code : 'other' }, 500),
    );
    // app.request has no Node socket: the default reader finds nothing.
    const res = await app.request('/');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ code: 'RATE_LIMIT_CLIENT_IP_UNAVAILABLE' });
  });

  it('groups IPv6 clients per /64 by default', async () => {
    expect(ipBucket('2001:db8:1:2:aaaa::1', 64)).toBe('2001:db8:1:2::/64');
    expect(ipBucket('2001:db8:1:2:aaaa::1', 56)).toBe('2001:db8:1::/56');
    expect(ipBucket('192.0.2.1', 64)).toBe('192.0.2.1');
    const key = byIp({ getSocketAddress: () => '2001:db8:1:2:ffff::9' });
    const app = new Hono();
    app.get('/', async (c) => c.text((await key(c)) ?? ''));
    expect(await (await app.request('/')).text()).toBe('ip:2001:db8:1:2::/64');
  });

  it.each([
    [{ trustProxy: { proxies: ['10.0.0.0/33'] } }],
    [{ trustProxy: { proxies: ['proxy.internal'] } }],
    [{ trustProxy: { hops: -1 } }],
    [{ trustProxy: { hops: 1.5 } }],
    [{ ipv6PrefixLength: 0 }],
  ])('throws RATE_LIMIT_INVALID_OPTIONS for %j', (options) => {
    expect(() => byIp(options as ByIpOptions)).toThrow(RateLimitError);
    try {
      byIp(options as ByIpOptions);
    } catch (err) {
      expect((err as RateLimitError).code).toBe('RATE_LIMIT_INVALID_OPTIONS');
    }
  });
});
