import {
  createQuota,
  type KeyFunction,
  quotaLimit,
  type RateLimitStore,
  rateLimit,
} from '@micro-app/rate-limit';
import type { Logger } from '@micro-app/telemetry';
import type { MiddlewareHandler } from 'hono';

export interface RateLimitSettings {
  store: RateLimitStore;
  failOpen: boolean;
  storeTimeoutMs: number;
  perUserPerMin: number;
  perTenantPerMin: number;
  groupCreatePerMin: number;
  /** Daily request budget per tenant; unset means no quota. */
  requestsPerTenantPerDay?: number | undefined;
}

const byCallerUser: KeyFunction = (c) => `user:${c.get('caller').sub}`;
const byCallerTenant: KeyFunction = (c) => `tenant:${c.get('caller').tenant}`;

/** The `/v1` limits: per user and per tenant on every call, plus the tenant's daily quota. */
export function apiLimits(settings: RateLimitSettings, logger: Logger): MiddlewareHandler[] {
  const common = {
    store: settings.store,
    failOpen: settings.failOpen,
    storeTimeoutMs: settings.storeTimeoutMs,
    logger,
  };
  const limits: MiddlewareHandler[] = [
    rateLimit({
      ...common,
      policies: [
        { name: 'per-user', limit: settings.perUserPerMin, windowMs: 60_000, key: byCallerUser },
        {
          name: 'per-tenant',
          limit: settings.perTenantPerMin,
          windowMs: 60_000,
          key: byCallerTenant,
        },
      ],
    }),
  ];
  const daily = settings.requestsPerTenantPerDay;
  if (daily) {
    const quota = createQuota({
      ...common,
      unit: 'requests',
      period: 'day',
      limit: () => daily,
      onThreshold: (event) =>
        logger.warn({ quota: event }, 'tenant crossed 80% of its daily quota'),
    });
    limits.push(quotaLimit(quota, { tenant: (c) => c.get('caller').tenant }));
  }
  return limits;
}

/** The stricter limit on creating groups (POST only; other methods skip the policy). */
export function groupCreateLimit(settings: RateLimitSettings, logger: Logger): MiddlewareHandler {
  return rateLimit({
    store: settings.store,
    failOpen: settings.failOpen,
    storeTimeoutMs: settings.storeTimeoutMs,
    logger,
    policies: [
      {
        name: 'group-create',
        limit: settings.groupCreatePerMin,
        windowMs: 60_000,
        key: (c) => (c.req.method === 'POST' ? `user:${c.get('caller').sub}` : undefined),
      },
    ],
  });
}
