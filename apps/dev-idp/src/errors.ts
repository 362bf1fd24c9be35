/** Stable codes of {@link DevIdpError}. */
export type DevIdpErrorCode = 'invalid_options' | 'unknown_user' | 'token_request_failed';

/** Error thrown by `startDevIdp` and its token helpers. */
export class DevIdpError extends Error {
  /** Machine-readable reason. */
  readonly code: DevIdpErrorCode;

  constructor(code: DevIdpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}
