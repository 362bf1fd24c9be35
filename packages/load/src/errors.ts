/** Stable codes of {@link LoadError}. */
export type LoadErrorCode =
  | 'LOAD_INVALID_OPTIONS'
  | 'LOAD_TARGET_NOT_LOOPBACK'
  | 'LOAD_APP_EXITED'
  | 'LOAD_APP_NOT_READY'
  | 'LOAD_RUN_FAILED';

/**
 * The error every part of this package throws.
 *
 * - `LOAD_INVALID_OPTIONS`: stages, thresholds or requests that cannot make a bounded run.
 * - `LOAD_TARGET_NOT_LOOPBACK`: the base URL is not on this machine (127.0.0.0/8, `localhost`,
 *   `[::1]`); point k6 at shared environments instead.
 * - `LOAD_APP_EXITED`: the app `startApp()` started exited before it was ready.
 * - `LOAD_APP_NOT_READY`: the app did not answer its readiness path in time (it is stopped).
 * - `LOAD_RUN_FAILED`: autocannon could not run (its error is the `cause`).
 */
export class LoadError extends Error {
  /** Stable code to switch on; the message is for humans and may change. */
  readonly code: LoadErrorCode;

  constructor(code: LoadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}
