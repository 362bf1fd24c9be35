/** Stable codes of {@link CanaryDrillError}. */
export type CanaryDrillErrorCode =
  /** A condition uses `expr` syntax this evaluator does not implement (it fails, not guesses). */
  | 'CONDITION_UNSUPPORTED'
  /** A template field or provider this evaluator does not implement. */
  | 'TEMPLATE_UNSUPPORTED'
  /** A `{{args.x}}` placeholder without a value, or an unknown placeholder. */
  | 'ARG_MISSING'
  /** A process of the drill (app, Prometheus, helm) did not start or answer. */
  | 'DRILL_SETUP';

/** Everything the drill refuses to do, with a stable `code` (jose's `JOSEError` shape). */
export class CanaryDrillError extends Error {
  readonly code: CanaryDrillErrorCode;

  constructor(code: CanaryDrillErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}
