/**
 * RateLimit header fields of draft-ietf-httpapi-ratelimit-headers-10 (September 2025): both
 * fields are Structured Field Lists whose items are quoted policy names with parameters.
 *
 *   RateLimit-Policy: "per-user";q=100;w=60
 *   RateLimit: "per-user";r=42;t=17
 */

/** Response header naming each policy's quota (`q`) and window in seconds (`w`). */
export const RATELIMIT_POLICY_HEADER = 'RateLimit-Policy';
/** Response header with each policy's remaining quota (`r`) and seconds until reset (`t`). */
export const RATELIMIT_HEADER = 'RateLimit';

/** Policy names are emitted as sf-strings, so they are limited to a safe character set. */
export const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** One member of `RateLimit-Policy`. */
export function policyItem(name: string, quota: number, windowSec: number): string {
  return `"${name}";q=${quota};w=${windowSec}`;
}

/** One member of `RateLimit`. */
export function limitItem(name: string, remaining: number, resetSec: number): string {
  return `"${name}";r=${Math.max(0, Math.floor(remaining))};t=${Math.max(0, resetSec)}`;
}

/** Whole seconds until `ms` have passed, rounded up. */
export function ceilSeconds(ms: number): number {
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}
