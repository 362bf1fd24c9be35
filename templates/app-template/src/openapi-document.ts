import { createFlags } from '@micro-app/flags';
import { memoryStore } from '@micro-app/rate-limit';
import { createLifecycle } from '@micro-app/server';
import { createLogger } from '@micro-app/telemetry';
import { createApp } from './app.js';
import { flagRegistry } from './flags.js';
import type { AppDatabase } from './http/types.js';

/**
 * The document `/openapi.json` serves, rendered by the app itself without a database, a network
 * or an identity provider (its operations do not depend on them): what `openapi.json` holds.
 */
export async function renderOpenApiDocument(version: string): Promise<Record<string, unknown>> {
  const app = createApp({
    db: {} as AppDatabase, // never queried: only /openapi.json is requested
    logger: createLogger({ destination: { write: () => {} } }),
    lifecycle: createLifecycle(),
    readinessChecks: {},
    auth: { issuer: 'https://idp.invalid', audience: 'app-template' },
    rateLimits: {
      store: memoryStore(),
      failOpen: true,
      storeTimeoutMs: 100,
      perUserPerMin: 1,
      perTenantPerMin: 1,
    },
    flags: createFlags(flagRegistry),
    bodyLimitBytes: 1,
    requestTimeoutMs: 1_000,
    exposeInternalErrors: false,
    version,
  });
  const res = await app.request('/openapi.json');
  if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}
