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
    // Each duplicate gets 409 while the first runs, or a replay once it is done; clients retry 409s.
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
    const created = responses.filter((r) => r.status === 201);
    for (const r of responses) expect([201, 409]).toContain(r.status);
    const bodies = await Promise.all(created.map((r) => r.json() as Promise<{ id: string }>));
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(new Set(created.map((r) => r.headers.get('location'))).size).toBe(1);
    const fresh = created.filter((r) => r.headers.get('idempotent-replayed') === null);
    expect(fresh).toHaveLength(1);
    const rows = await t.db.select().from(groups).where(eq(groups.name, name));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(bodies[0]?.id);
  });
});
