/** Stable machine-readable codes of {@link RateLimitError}. */
export type RateLimitErrorCode =
  | 'RATE_LIMIT_INVALID_OPTIONS'
  | 'RATE_LIMIT_INVALID_AMOUNT'
  | 'RATE_LIMIT_STORE_UNAVAILABLE'
  | 'RATE_LIMIT_STORE_TIMEOUT'
  | 'RATE_LIMIT_CLIENT_IP_UNAVAILABLE';

/**
 * The error every part of this package throws or reports.
 *
 * - `RATE_LIMIT_INVALID_OPTIONS`: a factory got options it cannot work with (thrown at once, at start).
 * - `RATE_LIMIT_INVALID_AMOUNT`: a quota was asked to consume something other than a positive integer.
 * - `RATE_LIMIT_STORE_UNAVAILABLE`: the counter store answered with an error (e.g. Redis is down).
 * - `RATE_LIMIT_STORE_TIMEOUT`: the counter store did not answer within `storeTimeoutMs`.
 * - `RATE_LIMIT_CLIENT_IP_UNAVAILABLE`: `byIp()` could not learn the socket address of the request.
 *
 * @example
 * try {
 *   await quota.consume('acme', 1);
 * } catch (err) {
 *   if (err instanceof RateLimitError && err.code === 'RATE_LIMIT_STORE_TIMEOUT') retryLater();
 * }
 */
export class RateLimitError extends Error {
  /** Stable code to switch on; the message is for humans and may change. */
  readonly code: RateLimitErrorCode;

  constructor(code: RateLimitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}
