import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groups } from '../db/schema.js';
import { createTestApp, type TestApp } from '../test/harness.js';

describe('retried POSTs over real HTTP', () => {
  let t: TestApp;
  let server: ReturnType<typeof serve>;
  let base: string;
  beforeAll(async () => {
    t = await createTestApp();
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  it('creates exactly one row for 20 concurrent requests with one Idempotency-Key', async () => {
    const name = `Concurrent ${Date.now()}`;
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${base}/v1/groups`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${t.tokens.alice}`,
            'Content-Type': 'application/json',
            'Idempotency-Key': 'http-race-1',
          },
          body: JSON.stringify({ name }),
        }),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ id: string }>));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(new Set(responses.map((r) => r.headers.get('location'))).size).toBe(1);
    const replayed = responses.filter((r) => r.headers.get('idempotent-replayed') === 'true');
    expect(replayed.length).toBe(19);
    const rows = await t.db.select().from(groups).where(eq(groups.name, name));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(bodies[0]?.id);
  });
});
