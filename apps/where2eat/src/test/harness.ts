import { createDb } from '@micro-app/db';
import { createTestDatabase } from '@micro-app/db/testing';
import { type DevIdpOptions, startDevIdp } from '@micro-app/dev-idp';
import { createFlags } from '@micro-app/flags';
import { memoryStore } from '@micro-app/rate-limit';
import { createLifecycle } from '@micro-app/server';
import { createLogger } from '@micro-app/telemetry';
import { type AppDeps, type AuthSettings, createApp } from '../app.js';
import * as schema from '../db/schema.js';
import { flagRegistry } from '../flags.js';
import type { RateLimitSettings } from '../http/limits.js';
import { MIGRATIONS_FOLDER } from '../runtime.js';

/** Seeded dev-idp users: alice (acme, member), bob (acme, admin), carol (globex, member). */
export type TestUser = 'alice' | 'bob' | 'carol';

export interface TestAppOptions {
  /** Bootstrap flags file; default: every flag at its declared default. */
  flagsFile?: string;
  rateLimits?: Partial<RateLimitSettings>;
  deps?: Partial<AppDeps>;
  /** Options of the dev IdP (e.g. known `keys`, to sign tokens the IdP would not issue). */
  idp?: DevIdpOptions;
  /** Auth settings besides the dev IdP's issuer, audience and JWKS URL (e.g. `maxTokenAgeSeconds`). */
  auth?: Partial<AuthSettings>;
}

/**
 * A where2eat app wired as in production but on test parts: its own migrated database (PGlite
 * in memory, or a fresh database on the server in `DATABASE_URL`), a real dev OpenID provider on
 * a random port for tokens, in-memory rate limits and file or default flags.
 */
export async function createTestApp(options: TestAppOptions = {}) {
  const testDb = await createTestDatabase(process.env.DATABASE_URL);
  const database = createDb({ schema, url: testDb.url });
  await database.migrate(MIGRATIONS_FOLDER);
  const idp = await startDevIdp({ ...options.idp, port: 0 });
  const flags = createFlags(
    flagRegistry,
    options.flagsFile ? { file: options.flagsFile, watchIntervalMs: 50 } : {},
  );
  await flags.ready();
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void logs.push(JSON.parse(line)) },
  });
  const app = createApp({
    db: database.db,
    logger,
    lifecycle: createLifecycle(),
    readinessChecks: { database: (signal) => database.ping({ signal }) },
    auth: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri, ...options.auth },
    rateLimits: {
      store: memoryStore(),
      failOpen: true,
      storeTimeoutMs: 100,
      perUserPerMin: 100_000,
      perTenantPerMin: 100_000,
      groupCreatePerMin: 100_000,
      ...options.rateLimits,
    },
    flags,
    bodyLimitBytes: 4_096,
    requestTimeoutMs: 5_000,
    exposeInternalErrors: false,
    version: 'test',
    ...options.deps,
  });
  const tokens: Record<TestUser, string> = {
    alice: await idp.getUserToken('alice'),
    bob: await idp.getUserToken('bob'),
    carol: await idp.getUserToken('carol'),
  };
  return {
    app,
    db: database.db,
    idp,
    logs,
    tokens,
    /** `app.request` as `user` (default alice); pass `user: null` for no token. */
    request(path: string, init: RequestInit = {}, user: TestUser | null = 'alice') {
      const headers = new Headers(init.headers);
      if (user) headers.set('Authorization', `Bearer ${tokens[user]}`);
      return app.request(path, { ...init, headers });
    },
    async close() {
      await flags.close();
      await idp.close();
      await database.close();
      await testDb.drop();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

/** JSON request options. */
export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}) {
  return {
    method,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  };
}

/** A response body as loosely typed JSON, for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON shapes
export const readJson = (res: Response): Promise<any> => res.json();
