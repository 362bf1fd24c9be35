import type { Context } from 'hono';
import type { RateLimitError } from './errors.js';

/**
 * The part of an authenticated principal this package reads. The auth middleware sets
 * `c.var.principal`; any object with these optional fields fits, so there is no dependency
 * on a particular auth package.
 */
export interface PrincipalLike {
  /** Subject: the user or service id. */
  sub?: string;
  /** Tenant (organisation, workspace) the principal acts for. */
  tenant?: string;
}

/** Hono variables this package reads when they are present. */
export interface RateLimitVariables {
  principal?: PrincipalLike;
  requestId?: string;
}

/**
 * Computes the bucket a request is counted in for one policy. `undefined` means the policy does
 * not apply to this request (e.g. no user on an anonymous request).
 */
export type KeyFunction = (
  // biome-ignore lint/suspicious/noExplicitAny: works with any app's Env
  c: Context<any>,
) => string | undefined | Promise<string | undefined>;

/** One rate-limit policy: at most `limit` requests per `windowMs` for each key. */
export interface RateLimitPolicy {
  /**
   * Policy name shown to clients in the `RateLimit-Policy` and `RateLimit` headers and used in
   * store keys. Letters, digits, `.`, `_` and `-`; unique within one middleware.
   */
  name: string;
  /** Requests admitted per key and window: a positive integer. */
  limit: number;
  /** Window length in milliseconds: a positive multiple of 1000 (headers speak in seconds). */
  windowMs: number;
  /** The bucket of a request, or `undefined` when the policy does not apply to it. */
  key: KeyFunction;
}

/** The logger shape this package calls; pino and most structured loggers fit it. */
export interface RateLimitLogger {
  warn(obj: object, msg?: string): void;
}

/** What `onStoreError` receives each time the store fails or times out. */
export interface StoreErrorEvent {
  /** `RATE_LIMIT_STORE_UNAVAILABLE` or `RATE_LIMIT_STORE_TIMEOUT`, with the store's error as `cause`. */
  error: RateLimitError;
  /** Name of the policy or quota whose counter could not be read or written. */
  source: string;
  /** `true` when the request is let through anyway, `false` when it is answered with 503. */
  failOpen: boolean;
}
