/** Stable codes of {@link AuthError}; switch on these, never on the message. */
export type AuthErrorCode =
  | 'invalid_options'
  | 'jwks_unavailable'
  | 'token_request_failed'
  | 'invalid_token_response'
  | 'no_audit_logger';

/**
 * The one error class of `@micro-app/auth`. Thrown for invalid options (at factory call), by the
 * client-credentials helper when a token cannot be obtained, and by {@link audit} without a logger.
 *
 * @example
 * try {
 *   await client.getToken();
 * } catch (err) {
 *   if (err instanceof AuthError && err.code === 'token_request_failed') retryLater();
 * }
 */
export class AuthError extends Error {
  /** Machine-readable reason. */
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}
