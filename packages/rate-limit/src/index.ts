export { PROBLEM_CONTENT_TYPE } from '@micro-app/problem';
export type { RateLimitErrorCode } from './errors.js';
export { RateLimitError } from './errors.js';
export {
  RATELIMIT_HEADER,
  RATELIMIT_POLICY_HEADER,
} from './headers.js';
export type { ClientIpOptions, TrustProxy } from './keys/client-ip.js';
export { clientIpResolver } from './keys/client-ip.js';
export type { ByIpOptions } from './keys/index.js';
export { byApiKey, byIp, byTenant, byUser } from './keys/index.js';
export { QUOTA_EXHAUSTED_TYPE, RATE_LIMIT_UNAVAILABLE_TYPE, RATE_LIMITED_TYPE } from './problem.js';
export type { Quota, QuotaOptions, QuotaState, QuotaThresholdEvent } from './quota/index.js';
export { createQuota } from './quota/index.js';
export type { QuotaLimitOptions } from './quota/middleware.js';
export { quotaLimit } from './quota/middleware.js';
export type { QuotaPeriod } from './quota/period.js';
export type { RateLimitOptions } from './rate-limit/index.js';
export { rateLimit } from './rate-limit/index.js';
export { STORE_ERRORS_METRIC } from './store/guard.js';
export type { CounterOptions, RateLimitStore, RedisStoreOptions } from './store/index.js';
export { memoryStore, redisStore } from './store/index.js';
export { createRedisClient, REDIS_CLIENT_DEFAULTS } from './store/redis-client.js';
export type {
  KeyFunction,
  PrincipalLike,
  RateLimitLogger,
  RateLimitPolicy,
  RateLimitVariables,
  StoreErrorEvent,
} from './types.js';
