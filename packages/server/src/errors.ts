/** Stable codes of {@link ServerError}. */
export type ServerErrorCode = 'SERVER_INVALID_OPTIONS';

/**
 * A server-kit option that cannot work (a negative duration, a limit that is not a positive
 * integer). A `RangeError`, so existing `instanceof RangeError` checks keep working; `code` says
 * which kind.
 */
export class ServerError extends RangeError {
  readonly code: ServerErrorCode;
  constructor(code: ServerErrorCode, message: string) {
    super(message);
    this.name = 'ServerError';
    this.code = code;
  }
}
