import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Media type of RFC 9457 problem details. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Prefix of every `type` URI this kit emits; stable, so clients can switch on it. */
export const PROBLEM_TYPE_PREFIX = 'urn:problem-type:';

/** One field-level error inside a validation problem. */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `body.members.0.name`; empty for the whole input. */
  path: string;
  /** Human-readable reason. */
  message: string;
  /** Machine-readable reason when the validator supplies one (e.g. `too_small`). */
  code?: string;
}

/** RFC 9457 problem details object, with the kit's extension members. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Input for {@link HttpProblem}: `slug` becomes `urn:problem-type:<slug>`. */
export interface HttpProblemInit {
  status: ContentfulStatusCode;
  slug: string;
  title: string;
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members merged into the body (must not contain secrets). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * An error that already knows its HTTP answer. Throw it from a handler or a middleware and the
 * kit's error handler renders it as `application/problem+json`.
 *
 * @example
 * throw new HttpProblem({ status: 404, slug: 'group-not-found', title: 'Group not found' });
 */
export class HttpProblem extends Error {
  readonly status: ContentfulStatusCode;
  readonly slug: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(init: HttpProblemInit) {
    super(init.detail ?? init.title, { cause: init.cause });
    this.name = this.constructor.name;
    this.status = init.status;
    this.slug = init.slug;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
    this.extensions = init.extensions ?? {};
  }
}

/**
 * Renders problem details as a `Response` with the right media type and the request id.
 *
 * @param c - the Hono context of the failing request
 * @param problem - the problem; `instance` defaults to the request path
 * @param headers - extra response headers (e.g. `Allow`, `Retry-After`)
 */
export function problemResponse(
  c: Context,
  problem: Omit<ProblemDetails, 'status'> & { status: ContentfulStatusCode },
  headers: Record<string, string> = {},
): Response {
  const requestId = (c.get('requestId') as string | undefined) ?? undefined;
  const body = {
    ...problem,
    instance: problem.instance ?? c.req.path,
    ...(requestId ? { requestId } : {}),
  } as ProblemDetails;
  return c.body(JSON.stringify(body), problem.status, {
    ...headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
  });
}

/** Builds the `type` URI for a slug. */
export function problemType(slug: string): string {
  return `${PROBLEM_TYPE_PREFIX}${slug}`;
}
