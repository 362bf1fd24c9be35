import { Hono } from 'hono';
import { ServerError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { KitLogger } from '../types.js';

/** A readiness check: resolves when the dependency is usable, rejects (or times out) when not. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<unknown>;

export interface HealthOptions {
  /** Named checks run in parallel on every `/health/ready`. Default: `{}`. */
  checks?: Record<string, ReadinessCheck>;
  /** Time each check may take before it counts as failed. Default: `2_000`. */
  checkTimeoutMs?: number;
  /** Shutdown state; when shutting down, ready answers 503 at once. */
  lifecycle?: Lifecycle;
  /** Receives failing checks as warnings. */
  logger?: KitLogger;
}

type CheckResult = { status: 'pass' } | { status: 'fail'; error: string };

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await Promise.race([
      check(signal),
      new Promise((_, reject) => {
        signal.addEventListener(
          'abort',
          () => reject(new Error(`timed out after ${timeoutMs} ms`)),
          {
            once: true,
          },
        );
      }),
    ]);
    return { status: 'pass' };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { status: 'fail', error: message.slice(0, 200) };
  }
}

/**
 * Health endpoints as a Hono sub-app to mount at `/health`:
 * `GET /live` answers 200 while the process can serve (no dependency is touched);
 * `GET /ready` runs every check and answers 200, or 503 naming each failing check, and 503 as
 * soon as shutdown has begun. Both are `Cache-Control: no-store`.
 *
 * @throws {ServerError} `SERVER_INVALID_OPTIONS` (a `RangeError`) when `checkTimeoutMs` is not positive
 * @example
 * app.route('/health', health({ checks: { database: (signal) => db.ping(signal) }, lifecycle }));
 */
export function health(options: HealthOptions = {}): Hono {
  const { checks = {}, checkTimeoutMs = 2_000, lifecycle, logger } = options;
  if (!(checkTimeoutMs > 0))
    throw new ServerError('SERVER_INVALID_OPTIONS', 'checkTimeoutMs must be positive');
  const app = new Hono();

  app.get('/live', function live(c) {
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'pass' });
  });

  app.get('/ready', async function ready(c) {
    c.header('Cache-Control', 'no-store');
    if (lifecycle?.shuttingDown) {
      return c.json({ status: 'fail', reason: 'shutting down', checks: {} }, 503);
    }
    const names = Object.keys(checks);
    const results = await Promise.all(
      names.map((name) => runCheck(checks[name] as ReadinessCheck, checkTimeoutMs)),
    );
    const report: Record<string, CheckResult> = {};
    const failing: string[] = [];
    names.forEach((name, i) => {
      const result = results[i] as CheckResult;
      report[name] = result;
      if (result.status === 'fail') failing.push(name);
    });
    if (failing.length > 0) {
      logger?.warn({ failing, checks: report }, 'readiness check failed');
      return c.json({ status: 'fail', failing, checks: report }, 503);
    }
    return c.json({ status: 'pass', checks: report });
  });

  return app;
}
