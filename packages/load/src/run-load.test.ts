import { afterEach, describe, expect, it } from 'vitest';
import { LoadError } from './errors.js';
import {
  formatStage,
  formatVerdict,
  isLoopback,
  type LoadResult,
  loopbackUrl,
  percentile,
  runLoad,
  verdicts,
} from './run-load.js';
import { testServer } from './test/server.js';

const thresholds = { p95Ms: 300, errorRate: 0.005 };
const result = (overrides: Partial<LoadResult>): LoadResult => ({
  stages: [],
  requests: 1_000,
  failed: 0,
  errorRate: 0,
  p50Ms: 5,
  p95Ms: 20,
  p99Ms: 40,
  ...overrides,
});

const servers: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});
async function server(options?: Parameters<typeof testServer>[0]) {
  const s = await testServer(options);
  servers.push(s);
  return s;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof LoadError ? error.code : `not a LoadError: ${String(error)}`;
  }
  return undefined;
}

describe('thresholds', () => {
  it('passes a run inside them, and fails a slow p95, too many failures or an empty run', () => {
    expect(verdicts(result({}), thresholds).every((v) => v.ok)).toBe(true);
    expect(verdicts(result({ p95Ms: 300 }), thresholds)[0]?.ok).toBe(false);
    expect(verdicts(result({ failed: 6, errorRate: 0.006 }), thresholds)[1]?.ok).toBe(false);
    expect(
      verdicts(result({ requests: 0, p95Ms: 0, errorRate: 1 }), thresholds).map((v) => v.ok),
    ).toEqual([false, false]);
  });

  it('reports them as k6 names them', () => {
    expect(
      verdicts(result({ failed: 1, errorRate: 0.001 }), thresholds).map(formatVerdict),
    ).toEqual([
      '✓ http_req_duration p(95) < 300 ms: 20.0 ms',
      '✓ http_req_failed rate < 0.5%: 0.10% (1/1000)',
    ]);
    expect(
      formatStage({
        rps: 5,
        seconds: 20,
        requests: 100,
        failed: 0,
        achievedRps: 5,
        p50Ms: 2,
        p95Ms: 3.25,
        p99Ms: 4,
      }),
    ).toBe('      5 req/s for 20 s: 100 requests, 5/s achieved, p95 3.3 ms, 0 failed');
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 95)).toBe(0);
  });
});

describe('targets', () => {
  it.each([
    'http://127.0.0.1:3000',
    'http://127.1.2.3',
    'http://localhost:8080/x',
    'http://[::1]:3000',
    'https://127.0.0.1',
  ])('accepts %s', (url) => {
    expect(isLoopback(new URL(url))).toBe(true);
    expect(codeOf(() => loopbackUrl(url))).toBeUndefined();
  });

  it.each([
    'http://10.0.0.1',
    'http://192.168.1.10:3000',
    'http://example.com',
    'http://127.0.0.1.example.com',
    'http://0.0.0.0:3000',
    'http://[::ffff:10.0.0.1]',
  ])('refuses %s: not on this machine', (url) => {
    expect(isLoopback(new URL(url))).toBe(false);
    expect(codeOf(() => loopbackUrl(url))).toBe('LOAD_TARGET_NOT_LOOPBACK');
  });

  it('refuses what is not an http(s) URL', () => {
    expect(codeOf(() => loopbackUrl('localhost:3000'))).toBe('LOAD_INVALID_OPTIONS');
    expect(codeOf(() => loopbackUrl('not a url'))).toBe('LOAD_INVALID_OPTIONS');
    expect(codeOf(() => loopbackUrl('ftp://127.0.0.1'))).toBe('LOAD_INVALID_OPTIONS');
  });
});

describe('runLoad against a real server on loopback', () => {
  it('sends the mix round-robin at the stage rate, at most rps × seconds, and counts every answer', async () => {
    const s = await server();
    const stages: string[] = [];
    const load = await runLoad({
      baseUrl: s.url,
      stages: [
        { rps: 20, seconds: 2 },
        { rps: 10, seconds: 1 },
      ],
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      requests: [
        { path: '/a' },
        { method: 'PUT', path: '/b', body: '{"x":1}' },
        { path: '/c?limit=2', headers: { 'x-extra': '1' } },
      ],
      onStage: (stage) => stages.push(`${stage.rps}x${stage.seconds}`),
    });
    expect(stages).toEqual(['20x2', '10x1']);
    // Paced: at most 40 + 10; unpaced, the same 3 s would send thousands.
    expect(load.stages[0]?.requests).toBeGreaterThanOrEqual(20);
    expect(load.stages[0]?.requests).toBeLessThanOrEqual(40);
    expect(load.stages[1]?.requests).toBeGreaterThanOrEqual(5);
    expect(load.stages[1]?.requests).toBeLessThanOrEqual(10);
    expect(load.requests).toBe(s.seen.length);
    expect(load.failed).toBe(0);
    expect(load.errorRate).toBe(0);
    expect(load.p95Ms).toBeGreaterThan(0);
    expect(verdicts(load, thresholds).every((v) => v.ok)).toBe(true);
    expect(new Set(s.seen.map((r) => `${r.method} ${r.url}`))).toEqual(
      new Set(['GET /a', 'PUT /b', 'GET /c?limit=2']),
    );
    expect(s.seen.every((r) => r.authorization === 'Bearer t')).toBe(true);
    expect(s.seen.find((r) => r.method === 'PUT')?.body).toBe('{"x":1}');
  });

  it('counts error answers and requests without an answer as failed', async () => {
    const s = await server({ status: (req) => (req.url === '/bad' ? 503 : 200) });
    const load = await runLoad({
      baseUrl: s.url,
      stages: [{ rps: 10, seconds: 1 }],
      requests: [{ path: '/bad' }],
    });
    expect(load.requests).toBeGreaterThan(0);
    expect(load.failed).toBe(load.requests);
    expect(verdicts(load, thresholds)[1]?.ok).toBe(false);

    // Nothing listens on the port of a closed server: every request fails, none is answered.
    const closed = await testServer();
    await closed.close();
    const refused = await runLoad({
      baseUrl: closed.url,
      stages: [{ rps: 5, seconds: 1 }],
      requests: [{ path: '/' }],
      timeoutSeconds: 1,
    });
    expect(refused.requests).toBeGreaterThan(0);
    expect(refused.failed).toBe(refused.requests);
    expect(verdicts(refused, thresholds)[1]?.ok).toBe(false);
  });

  it('measures a slow server as latency', async () => {
    const s = await server({ delayMs: 120 });
    const load = await runLoad({
      baseUrl: s.url,
      stages: [{ rps: 10, seconds: 1 }],
      requests: [{ path: '/' }],
    });
    expect(load.requests).toBeGreaterThan(0);
    expect(load.p50Ms).toBeGreaterThanOrEqual(100);
    expect(verdicts(load, { p95Ms: 100, errorRate: 0.5 })[0]?.ok).toBe(false);
  });

  it('refuses, before sending anything, another machine or options that are not bounded', async () => {
    const s = await server();
    const base = { baseUrl: s.url, stages: [{ rps: 1, seconds: 1 }], requests: [{ path: '/' }] };
    const refusal = (options: Parameters<typeof runLoad>[0]) =>
      runLoad(options).then(
        () => 'ran',
        (error: unknown) => (error instanceof LoadError ? error.code : String(error)),
      );
    expect(await refusal({ ...base, baseUrl: 'http://192.168.0.1:3000' })).toBe(
      'LOAD_TARGET_NOT_LOOPBACK',
    );
    for (const stages of [
      [],
      [{ rps: 0, seconds: 1 }],
      [{ rps: 1, seconds: 0 }],
      [{ rps: 1.5, seconds: 1 }],
      [{ rps: 1, seconds: 3_601 }],
    ]) {
      expect(await refusal({ ...base, stages }), JSON.stringify(stages)).toBe(
        'LOAD_INVALID_OPTIONS',
      );
    }
    expect(await refusal({ ...base, requests: [] })).toBe('LOAD_INVALID_OPTIONS');
    expect(await refusal({ ...base, timeoutSeconds: 0 })).toBe('LOAD_INVALID_OPTIONS');
    expect(s.seen).toEqual([]);
  });
});
