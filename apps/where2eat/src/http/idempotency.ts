import { createHash } from 'node:crypto';
import { HttpProblem } from '@micro-app/server';
import { and, eq } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { idempotencyKeys } from '../db/schema.js';
import type { AppDatabase, AppEnv } from './types.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const REPLAYED_HEADERS = ['content-type', 'location'];

class RollBack extends Error {}

/**
 * Makes POSTs with an `Idempotency-Key` header safe to retry. The key is claimed and the handler
 * runs in one transaction: a 2xx response is stored with the key and committed with the handler's
 * writes; anything else rolls both back, so the key can be retried. A concurrent request with the
 * same key waits on the claim, then replays the stored response. The same key with a different
 * body (or path) is 422. Keys are scoped to the caller.
 */
export function idempotency(db: AppDatabase): MiddlewareHandler<AppEnv> {
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header('Idempotency-Key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new HttpProblem({
        status: 400,
        slug: 'invalid-idempotency-key',
        title: 'Invalid Idempotency-Key',
        detail: 'Idempotency-Key must be 1 to 255 visible ASCII characters.',
      });
    }
    const body = await c.req.text();
    const requestHash = createHash('sha256').update(`${c.req.path}\n${body}`).digest('hex');
    const scope = `${c.var.caller.tenant}/${c.var.caller.sub}`;
    const where = and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));

    let stored: typeof idempotencyKeys.$inferSelect | undefined;
    try {
      await db.transaction(async (tx) => {
        const claimed = await tx
          .insert(idempotencyKeys)
          .values({ scope, key, requestHash })
          .onConflictDoNothing()
          .returning({ key: idempotencyKeys.key });
        if (claimed.length === 0) {
          [stored] = await tx.select().from(idempotencyKeys).where(where);
          return;
        }
        c.set('db', tx);
        await next();
        const res = c.res;
        if (res.status < 200 || res.status >= 300) throw new RollBack();
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const value = res.headers.get(name);
          if (value) headers[name] = value;
        }
        await tx
          .update(idempotencyKeys)
          .set({ status: res.status, headers, body: await res.clone().text() })
          .where(where);
      });
    } catch (err) {
      if (!(err instanceof RollBack)) throw err;
      return;
    } finally {
      c.set('db', db);
    }
    if (!stored) return;
    if (stored.requestHash !== requestHash) {
      throw new HttpProblem({
        status: 422,
        slug: 'idempotency-key-reused',
        title: 'Idempotency-Key reused',
        detail: 'This Idempotency-Key was used with a different request; use a new key.',
      });
    }
    if (stored.status === null || stored.body === null) {
      throw new HttpProblem({
        status: 409,
        slug: 'idempotency-key-in-progress',
        title: 'Request in progress',
        detail: 'A request with this Idempotency-Key is still running; retry shortly.',
        headers: { 'Retry-After': '1' },
      });
    }
    return c.body(stored.body, stored.status as 200, {
      ...stored.headers,
      'Idempotent-Replayed': 'true',
    });
  };
}
