import type { Problem } from './types.js';

/** Stable codes of {@link Where2eatClientError}; switch on these, never on the message. */
export type Where2eatClientErrorCode =
  | 'invalid_options'
  | 'invalid_argument'
  | 'token_unavailable'
  | 'network_error'
  | 'timeout'
  | 'aborted'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'rate_limited'
  | 'server_error'
  | 'unavailable'
  | 'http_error'
  | 'invalid_response';

/** The code for an HTTP error status. */
export function codeForStatus(status: number): Where2eatClientErrorCode {
  switch (status) {
    case 400:
    case 413:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 422:
      return 'validation_failed';
    case 429:
      return 'rate_limited';
    case 502:
    case 503:
      return 'unavailable';
    case 504:
      return 'timeout';
    default:
      return status >= 500 ? 'server_error' : 'http_error';
  }
}

/** Details of a {@link Where2eatClientError}. */
export interface Where2eatClientErrorInit {
  /** HTTP status of the answer; absent when there was none (network, timeout, bad input). */
  status?: number;
  /** The parsed `application/problem+json` body of the answer, when it had one. */
  problem?: Problem;
  /** `Retry-After` of the answer in seconds (429, 503). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * The one error every method of the client throws.
 *
 * Before a request: `invalid_options` (from {@link createWhere2eatClient}), `invalid_argument`
 * (an empty id), `token_unavailable` (`getToken` threw). No answer: `network_error`, `timeout`
 * (the client's `timeoutMs`, or 504 from the server), `aborted` (your `signal`). An answer with an
 * error status: `bad_request` (400, 413), `unauthorized` (401), `forbidden` (403), `not_found`
 * (404), `conflict` (409), `validation_failed` (422, see `problem.errors`), `rate_limited` (429),
 * `unavailable` (502, 503), `server_error` (other 5xx), `http_error` (any other status). A
 * success answer the client cannot read: `invalid_response`.
 *
 * @example
 * try {
 *   await client.getGroup(id);
 * } catch (err) {
 *   if (err instanceof Where2eatClientError && err.code === 'not_found') return null;
 *   throw err;
 * }
 */
export class Where2eatClientError extends Error {
  /** Machine-readable reason. */
  readonly code: Where2eatClientErrorCode;
  /** HTTP status of the answer, or `undefined` when there was none. */
  readonly status: number | undefined;
  /**
   * The answer's problem details: `type` (stable, e.g. `urn:problem-type:group-not-found`),
   * `title`, `detail`, `errors` (per field, on 422), `requestId`.
   */
  readonly problem: Problem | undefined;
  /** Seconds the server asked to wait before retrying (`Retry-After`), if it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: Where2eatClientErrorCode,
    message: string,
    init: Where2eatClientErrorInit = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = this.constructor.name;
    this.code = code;
    this.status = init.status;
    this.problem = init.problem;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}
