/** Stable codes of {@link OutboundError}. */
export type OutboundErrorCode = 'OUTBOUND_INVALID_OPTIONS';

/** A programming error in how the outbound client is set up; provider failures are results, not throws. */
export class OutboundError extends Error {
  readonly code: OutboundErrorCode;
  constructor(code: OutboundErrorCode, message: string) {
    super(message);
    this.name = 'OutboundError';
    this.code = code;
  }
}
