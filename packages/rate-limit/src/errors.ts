/** Stable machine-readable codes of {@link RateLimitError}. */
export type RateLimitErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_AMOUNT'
  | 'STORE_UNAVAILABLE'
  | 'STORE_TIMEOUT'
  | 'CLIENT_IP_UNAVAILABLE';

/**
 * The error every part of this package throws or reports.
 *
 * - `INVALID_OPTIONS`: a factory got options it cannot work with (thrown at once, at start).
 * - `INVALID_AMOUNT`: a quota was asked to consume something other than a positive integer.
 * - `STORE_UNAVAILABLE`: the counter store answered with an error (e.g. Redis is down).
 * - `STORE_TIMEOUT`: the counter store did not answer within `storeTimeoutMs`.
 * - `CLIENT_IP_UNAVAILABLE`: `byIp()` could not learn the socket address of the request.
 *
 * @example
 * try {
 *   await quota.consume('acme', 1);
 * } catch (err) {
 *   if (err instanceof RateLimitError && err.code === 'STORE_TIMEOUT') retryLater();
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
