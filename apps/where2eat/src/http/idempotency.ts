import { createHash } from 'node:crypto';
import { HttpProblem } from '@micro-app/server';
import type { Logger } from '@micro-app/telemetry';
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { idempotencyKeys } from '../db/schema.js';
import { IDEMPOTENCY_KEY_MAX, IdempotencyKey } from '../routes/schemas.js';
import type { AppDatabase, AppEnv } from './types.js';

const REPLAYED_HEADERS = ['content-type', 'location'];

export interface IdempotencyOptions {
  /** How long a completed key replays its response; after that it is free again. Default: 24 h. */
  ttlMs?: number;
  /**
   * How long a claim may stay in progress before it counts as abandoned (its instance died
   * mid-request) and a retry may claim the key again. Default: `60_000`.
   */
  inProgressTimeoutMs?: number;
  /** Receives a warning when a completed response could not be stored. */
  logger?: Pick<Logger, 'warn'>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const olderThan = (ms: number) =>
  lt(idempotencyKeys.createdAt, sql`now() - make_interval(secs => ${ms / 1000})`);

/**
 * Makes POSTs with an `Idempotency-Key` header safe to retry, as the IETF Idempotency-Key draft
 * describes:
 *
 * 1. The key is claimed with one INSERT (no transaction is held while the handler runs).
 * 2. The handler runs. A 2xx response is stored with the key; anything else releases the key,
 *    so the request can be retried.
 * 3. A retry of a completed key replays the stored response with `Idempotent-Replayed: true`. A
 *    duplicate while the first is still running gets 409 at once; the same key with a different
 *    body (or path) gets 422.
 *
 * Keys are scoped to the caller (tenant and subject) and expire after `ttlMs`; prune them with
 * {@link pruneIdempotencyKeys}. Mount it before the rate limits, so a replay is not charged.
 * If the response cannot be stored after the handler succeeded (database lost in between), the
 * claim stays in progress until `inProgressTimeoutMs`: retries get 409 until then.
 */
export function idempotency(
  db: AppDatabase,
  options: IdempotencyOptions = {},
): MiddlewareHandler<AppEnv> {
  const { ttlMs = DAY_MS, inProgressTimeoutMs = 60_000, logger } = options;
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header('Idempotency-Key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!IdempotencyKey.safeParse(key).success) {
      throw new HttpProblem({
        status: 400,
        slug: 'invalid-idempotency-key',
        title: 'Invalid Idempotency-Key',
        detail: `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters.`,
      });
    }
    const body = await c.req.text();
    const requestHash = createHash('sha256').update(`${c.req.path}\n${body}`).digest('hex');
    const scope = `${c.get('caller').tenant}/${c.get('caller').sub}`;
    const ours = and(
      eq(idempotencyKeys.scope, scope),
      eq(idempotencyKeys.key, key),
      eq(idempotencyKeys.requestHash, requestHash),
      isNull(idempotencyKeys.status),
    );

    // Claim the key, or take over one that expired or whose claim was abandoned.
    const claimed = await db
      .insert(idempotencyKeys)
      .values({ scope, key, requestHash })
      .onConflictDoUpdate({
        target: [idempotencyKeys.scope, idempotencyKeys.key],
        set: { requestHash, status: null, headers: null, body: null, createdAt: sql`now()` },
        setWhere: sql`${olderThan(ttlMs)} or (${isNull(idempotencyKeys.status)} and ${olderThan(inProgressTimeoutMs)})`,
      })
      .returning({ key: idempotencyKeys.key });

    if (claimed.length === 0) {
      const [stored] = await db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
      // Released between our INSERT and this SELECT: the first request failed; this one may retry.
      if (!stored) throw inProgress();
      if (stored.requestHash !== requestHash) {
        throw new HttpProblem({
          status: 422,
          slug: 'idempotency-key-reused',
          title: 'Idempotency-Key reused',
          detail: 'This Idempotency-Key was used with a different request; use a new key.',
        });
      }
      if (stored.status === null || stored.body === null) throw inProgress();
      return c.body(stored.body, stored.status as 200, {
        ...stored.headers,
        'Idempotent-Replayed': 'true',
      });
    }

    let completed = false;
    try {
      await next();
      const res = c.res;
      if (res.status >= 200 && res.status < 300) {
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const value = res.headers.get(name);
          if (value) headers[name] = value;
        }
        try {
          await db
            .update(idempotencyKeys)
            .set({ status: res.status, headers, body: await res.clone().text() })
            .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
          completed = true;
        } catch (err) {
          // The work is done and the client gets its answer; only the replay is lost.
          logger?.warn({ err, idempotencyKey: key }, 'idempotent response could not be stored');
          completed = true;
        }
      }
    } finally {
      if (!completed) {
        // Release, unless someone else took the key over meanwhile; if the database is gone the
        // claim ends at inProgressTimeoutMs instead.
        await db
          .delete(idempotencyKeys)
          .where(ours)
          .catch(() => {});
      }
    }
  };
}

function inProgress(): HttpProblem {
  return new HttpProblem({
    status: 409,
    slug: 'idempotency-key-in-progress',
    title: 'Request in progress',
    detail: 'A request with this Idempotency-Key is still running; retry shortly.',
    headers: { 'Retry-After': '1' },
  });
}

/**
 * Deletes idempotency keys older than `ttlMs` in batches of `batchSize` (a short statement each,
 * so it never holds long locks) and returns how many went. Run it periodically (the server does,
 * every `IDEMPOTENCY_PRUNE_INTERVAL_MS`); running it on several instances at once is harmless.
 */
export async function pruneIdempotencyKeys(
  db: AppDatabase,
  options: { ttlMs?: number; batchSize?: number } = {},
): Promise<number> {
  const { ttlMs = DAY_MS, batchSize = 1_000 } = options;
  let total = 0;
  for (;;) {
    const victims = db
      .select({ scope: idempotencyKeys.scope, key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(olderThan(ttlMs))
      .limit(batchSize);
    const deleted = await db
      .delete(idempotencyKeys)
      .where(sql`(${idempotencyKeys.scope}, ${idempotencyKeys.key}) in ${victims}`)
      .returning({ key: idempotencyKeys.key });
    total += deleted.length;
    if (deleted.length < batchSize) return total;
  }
}
