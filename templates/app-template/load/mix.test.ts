import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { runLoad, verdicts } from '@micro-app/load';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, jsonRequest, readJson, type TestApp } from '../src/test/harness.ts';
import { headersFor, requestsFor } from './mix.ts';
import { SLO, scenarios } from './scenarios.ts';

// What `npm run load` sends, sent for real by autocannon to the app over loopback, bounded in
// requests and time: every request of the mix is answered 2xx, and a token the app refuses
// fails every one.

describe('the load mix against the app over loopback', () => {
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

  it('is answered within the SLO at the smoke rate, at most rps × seconds requests', async () => {
    const note = await readJson(await t.request('/v1/notes', jsonRequest('POST', { title: 'x' })));
    const rps = scenarios.smoke.stages[0].rps;
    const load = await runLoad({
      baseUrl,
      stages: [{ rps, seconds: 2 }],
      requests: requestsFor(note.id),
      headers: headersFor(t.tokens.alice),
    });
    expect(load.requests).toBeGreaterThanOrEqual(requestsFor(note.id).length);
    expect(load.requests).toBeLessThanOrEqual(rps * 2);
    expect(load.failed).toBe(0);
    expect(verdicts(load, SLO).every((v) => v.ok)).toBe(true);

    const rejected = await runLoad({
      baseUrl,
      stages: [{ rps: 5, seconds: 1 }],
      requests: requestsFor(note.id),
      headers: headersFor('not-a-token'),
    });
    expect(rejected.requests).toBeGreaterThan(0);
    expect(rejected.failed).toBe(rejected.requests);
    expect(verdicts(rejected, SLO)[1]?.ok).toBe(false);
  });
});
