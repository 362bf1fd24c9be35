import { startDevIdp } from '@micro-app/dev-idp';
import { createTestService } from '@micro-app/service/testing';
import { type AppDeps, createApp } from '../app.js';
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
}

/**
 * The app wired as in production but on test parts: its own migrated database (PGlite in memory,
 * or a fresh database on the server in `DATABASE_URL`), a real dev OpenID provider on a random
 * port for tokens, in-memory rate limits and file or default flags.
 */
export async function createTestApp(options: TestAppOptions = {}) {
  const idp = await startDevIdp({
    port: 0,
    audience: 'app-template',
    // Tokens for another service, which this app must refuse.
    extraAudiences: ['another-app'],
  });
  const service = await createTestService({
    schema,
    migrationsFolder: MIGRATIONS_FOLDER,
    flagRegistry,
    flagsFile: options.flagsFile,
    databaseUrl: process.env.DATABASE_URL,
    build: ({ database, flags, lifecycle, logger, readinessChecks, rateLimitStore }) =>
      createApp({
        db: database.db,
        logger,
        lifecycle,
        readinessChecks,
        auth: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri },
        rateLimits: {
          store: rateLimitStore(),
          failOpen: true,
          storeTimeoutMs: 100,
          perUserPerMin: 100_000,
          perTenantPerMin: 100_000,
          ...options.rateLimits,
        },
        flags,
        bodyLimitBytes: 16_384,
        requestTimeoutMs: 5_000,
        exposeInternalErrors: false,
        version: 'test',
        ...options.deps,
      }),
  });
  const { app, logs } = service;
  const tokens: Record<TestUser, string> = {
    alice: await idp.getUserToken('alice'),
    bob: await idp.getUserToken('bob'),
    carol: await idp.getUserToken('carol'),
  };
  return {
    app,
    db: service.db,
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
      await service.close();
      await idp.close();
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
