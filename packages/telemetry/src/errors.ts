/** Stable codes of {@link TelemetryError}; match on `code`, never on the message. */
export type TelemetryErrorCode =
  /** An option is missing, out of range or of the wrong type. */
  | 'TELEMETRY_INVALID_OPTIONS'
  /** `startTelemetry()` was called a second time in the same process. */
  | 'TELEMETRY_ALREADY_STARTED'
  /** `pretty: true` was asked for but the optional `pino-pretty` package is not installed. */
  | 'TELEMETRY_PRETTY_UNAVAILABLE';

/**
 * The one error class of `@micro-app/telemetry`. Thrown only while configuring (factories and
 * `startTelemetry`), never on a request path: telemetry must not break a request.
 *
 * @example
 * try {
 *   startTelemetry({ service: { name: '' } });
 * } catch (err) {
 *   if (err instanceof TelemetryError && err.code === 'TELEMETRY_INVALID_OPTIONS') process.exit(1);
 * }
 */
export class TelemetryError extends Error {
  readonly code: TelemetryErrorCode;

  constructor(code: TelemetryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}

/** Throws `TELEMETRY_INVALID_OPTIONS` unless `value` is a finite number within `[min, max]`. */
export function assertNumberInRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TelemetryError(
      'TELEMETRY_INVALID_OPTIONS',
      `${name} must be a number from ${min} to ${max}, got ${String(value)}`,
    );
  }
}

/** Throws `TELEMETRY_INVALID_OPTIONS` unless `value` is an integer TCP port (1-65535, or 0 for "any free port"). */
export function assertPort(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new TelemetryError(
      'TELEMETRY_INVALID_OPTIONS',
      `${name} must be a TCP port (0-65535), got ${String(value)}`,
    );
  }
}
