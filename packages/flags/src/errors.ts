/** Stable codes of {@link FlagsError}; switch on these, never on the message. */
export type FlagsErrorCode =
  | 'FLAGS_INVALID_OPTIONS'
  | 'FLAGS_INVALID_DEFINITION'
  | 'FLAGS_UNDECLARED_FLAG'
  | 'FLAGS_FILE_UNREADABLE'
  | 'FLAGS_FILE_INVALID'
  | 'FLAGS_START_FAILED';

/**
 * The one error class of `@micro-app/flags`. Thrown for invalid options and definitions (at the
 * factory call), for an unreadable or invalid bootstrap file (from `ready()`), and when code that
 * bypassed the types asks for a flag that was never declared.
 *
 * @example
 * try { await flags.ready(); } catch (err) {
 *   if (err instanceof FlagsError && err.code === 'FLAGS_FILE_INVALID') process.exit(1);
 * }
 */
export class FlagsError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: FlagsErrorCode;

  constructor(code: FlagsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}
