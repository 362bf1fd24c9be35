import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Media type of RFC 9457 problem details. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Prefix of every `type` URI this kit emits; stable, so clients can switch on it. */
export const PROBLEM_TYPE_PREFIX = 'urn:problem-type:';

/** Builds the `type` URI for a slug; typed as the exact URI, so constants made with it stay literal. */
export function problemType<const S extends string>(slug: S): `${typeof PROBLEM_TYPE_PREFIX}${S}` {
  return `${PROBLEM_TYPE_PREFIX}${slug}`;
}

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
 * Renders problem details as a `Response` with the right media type and the request id.
 *
 * @param c - the Hono context of the failing request
 * @param problem - the problem; `instance` defaults to the request path
 * @param headers - extra response headers (e.g. `Allow`, `Retry-After`)
 */
export function problemResponse(
  c: Context,
  problem: ProblemDetails & { status: ContentfulStatusCode },
  headers: Record<string, string> = {},
): Response {
  // Any middleware may use the `requestId` key; only a real id belongs in the body.
  const id: unknown = c.get('requestId');
  const requestId = typeof id === 'string' ? id : '';
  const body: ProblemDetails = {
    ...problem,
    instance: problem.instance ?? c.req.path,
    ...(requestId ? { requestId } : {}),
  };
  return c.body(JSON.stringify(body), problem.status, {
    ...headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
  });
}

/**
 * An error that already knows its HTTP answer. Throw it from a handler or a middleware: the
 * kit's error handler renders it with {@link problemResponse}, and because it is a Hono
 * `HTTPException`, Hono's default error handler answers it as `application/problem+json` too
 * (without `instance` and `requestId`, which need the request).
 *
 * @example
 * throw new HttpProblem({ status: 404, slug: 'group-not-found', title: 'Group not found' });
 */
export class HttpProblem extends HTTPException {
  readonly slug: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(init: HttpProblemInit) {
    super(init.status, { message: init.detail ?? init.title, cause: init.cause });
    this.name = this.constructor.name;
    this.slug = init.slug;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
    this.extensions = init.extensions ?? {};
  }

  /** The body of this problem; extensions cannot override the standard members. */
  toProblemDetails(): ProblemDetails & { status: ContentfulStatusCode } {
    return {
      ...this.extensions,
      type: problemType(this.slug),
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }

  override getResponse(): Response {
    return new Response(JSON.stringify(this.toProblemDetails()), {
      status: this.status,
      headers: { ...this.headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
    });
  }
}
