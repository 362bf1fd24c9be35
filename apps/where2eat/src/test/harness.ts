import {
  type DevIdpOptions,
  startDevIdp,
  WEB_CLIENT_ID,
  WEB_CLIENT_SECRET,
} from '@micro-app/dev-idp';
import { createTestService } from '@micro-app/service/testing';
import { type AppDeps, type AuthSettings, createApp } from '../app.js';
import * as schema from '../db/schema.js';
import { flagRegistry } from '../flags.js';
import type { RateLimitSettings } from '../http/limits.js';
import { MIGRATIONS_FOLDER } from '../runtime.js';
import { webSignIn } from '../web/oidc.js';

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
  /** Serve the web UI, signing in at the test's dev IdP with its `where2eat-web` client. */
  web?: boolean;
}

/**
 * A where2eat app wired as in production but on test parts: its own migrated database (PGlite
 * in memory, or a fresh database on the server in `DATABASE_URL`), a real dev OpenID provider on
 * a random port for tokens, in-memory rate limits and file or default flags.
 */
export async function createTestApp(options: TestAppOptions = {}) {
  const idp = await startDevIdp({ ...options.idp, port: 0 });
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
        auth: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri, ...options.auth },
        rateLimits: {
          store: rateLimitStore(),
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
        ...(options.web
          ? {
              web: {
                signIn: webSignIn({
                  issuer: idp.issuer,
                  clientId: WEB_CLIENT_ID,
                  clientSecret: WEB_CLIENT_SECRET,
                  scope: 'openid profile cuisines:read groups:read groups:write',
                }),
                sessionTtlMs: 3_600_000,
              },
            }
          : {}),
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
