import { type KeyFunction, type RateLimitStore, rateLimit } from '@micro-app/rate-limit';
import type { Logger } from '@micro-app/telemetry';
import type { MiddlewareHandler } from 'hono';

export interface RateLimitSettings {
  store: RateLimitStore;
  failOpen: boolean;
  storeTimeoutMs: number;
  perUserPerMin: number;
  perTenantPerMin: number;
}

const byCallerUser: KeyFunction = (c) => `user:${c.get('caller').sub}`;
const byCallerTenant: KeyFunction = (c) => `tenant:${c.get('caller').tenant}`;

/** The `/v1` limits: per user and per tenant on every call. */
export function apiLimits(settings: RateLimitSettings, logger: Logger): MiddlewareHandler {
  return rateLimit({
    store: settings.store,
    failOpen: settings.failOpen,
    storeTimeoutMs: settings.storeTimeoutMs,
    logger,
    policies: [
      { name: 'per-user', limit: settings.perUserPerMin, windowMs: 60_000, key: byCallerUser },
      {
        name: 'per-tenant',
        limit: settings.perTenantPerMin,
        windowMs: 60_000,
        key: byCallerTenant,
      },
    ],
  });
}
