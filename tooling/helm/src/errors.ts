/** Stable codes of {@link HelmToolError}. */
export type HelmToolErrorCode =
  | 'ERR_HELM_SPAWN'
  | 'ERR_HELM_OUTPUT'
  | 'ERR_COMMAND_UNRESOLVED'
  | 'ERR_INVALID_OPTIONS';

/** What this package throws: a stable `code`, the failing thing in `message`, the origin in `cause`. */
export class HelmToolError extends Error {
  readonly code: HelmToolErrorCode;

  constructor(code: HelmToolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}
