import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, jsonRequest, readJson, type TestApp } from '../src/test/harness.ts';
import { type LoadResult, percentile, runLoad, verdicts } from './autocannon.ts';
import { requestMix, SLO } from './scenarios.ts';

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

describe('load thresholds (the k6 ones, applied by npm run load)', () => {
  it('passes a run inside the SLO', () => {
    expect(verdicts(result({})).every((v) => v.ok)).toBe(true);
  });

  it('fails a slow p95, too many failures, or a run that sent nothing', () => {
    expect(verdicts(result({ p95Ms: SLO.p95Ms }))[0]?.ok).toBe(false);
    expect(verdicts(result({ failed: 6, errorRate: 0.006 }))[1]?.ok).toBe(false);
    expect(verdicts(result({ requests: 0, p95Ms: 0 })).map((v) => v.ok)).toEqual([false, false]);
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile([], 95)).toBe(0);
  });
});

describe('runLoad against the app over loopback', () => {
  let t: TestApp;
  let server: ReturnType<typeof serve>;
  let baseUrl: string;
  beforeAll(async () => {
    t = await createTestApp();
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  it('sends the request mix at the stage rate and counts every answer', async () => {
    const group = await readJson(
      await t.request('/v1/groups', jsonRequest('POST', { name: 'Load' })),
    );
    const member = await readJson(
      await t.request(`/v1/groups/${group.id}/members`, jsonRequest('POST', { name: 'A' })),
    );
    const load = await runLoad(
      { baseUrl, token: t.tokens.alice, groupId: group.id, memberId: member.id },
      [{ rps: 20, seconds: 2 }],
    );
    // About 40 requests: autocannon paces per second across its connections and may overshoot a
    // little at the edges; unpaced, the same 2 s would send thousands.
    expect(load.requests).toBeGreaterThanOrEqual(requestMix.length);
    expect(load.requests).toBeLessThanOrEqual(100);
    expect(load.failed).toBe(0);
    expect(load.p95Ms).toBeGreaterThan(0);

    // A token the app rejects makes every request fail, and the verdict says so.
    const rejected = await runLoad(
      { baseUrl, token: 'not-a-token', groupId: group.id, memberId: member.id },
      [{ rps: 10, seconds: 1 }],
    );
    expect(rejected.requests).toBeGreaterThan(0);
    expect(rejected.failed).toBe(rejected.requests);
    expect(verdicts(rejected)[1]?.ok).toBe(false);
  });
});
