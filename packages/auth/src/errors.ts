/** Stable codes of {@link AuthError}; switch on these, never on the message. */
export type AuthErrorCode =
  | 'AUTH_INVALID_OPTIONS'
  | 'AUTH_JWKS_UNAVAILABLE'
  | 'AUTH_TOKEN_REQUEST_FAILED'
  | 'AUTH_INVALID_TOKEN_RESPONSE'
  | 'AUTH_NO_AUDIT_LOGGER';

/**
 * The one error class of `@micro-app/auth`. Thrown for invalid options (at factory call), by the
 * client-credentials helper when a token cannot be obtained, and by {@link audit} without a logger.
 *
 * @example
 * try {
 *   await client.getToken();
 * } catch (err) {
 *   if (err instanceof AuthError && err.code === 'AUTH_TOKEN_REQUEST_FAILED') retryLater();
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
