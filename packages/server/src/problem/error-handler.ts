import { HttpProblem, problemResponse, problemType } from '@micro-app/problem';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { KitLogger } from '../types.js';

/** Maps an error the kit does not know (e.g. a database outage) to a problem, or returns undefined. */
export type ErrorMapper = (err: unknown) => HttpProblem | undefined;

export interface ErrorHandlerOptions {
  /** Receives every 5xx with its error under `err`. Default: none (errors are not logged). */
  logger?: KitLogger | undefined;
  /** Mappers tried in order before the built-in rules. Default: `[]`. */
  mapError?: ErrorMapper[] | undefined;
  /** Include the error message of unexpected errors in `detail`. Never enable in production. Default: `false`. */
  exposeInternalErrors?: boolean | undefined;
}

const STATUS_SLUGS: Record<number, [slug: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  408: ['request-timeout', 'Request timeout'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['validation-error', 'Validation failed'],
  429: ['too-many-requests', 'Too many requests'],
  500: ['internal-error', 'Internal server error'],
  503: ['service-unavailable', 'Service unavailable'],
  504: ['gateway-timeout', 'Request timed out'],
};

/** The slug and title the kit uses for a bare HTTP status. */
export function statusProblem(status: number): { slug: string; title: string } {
  const known = STATUS_SLUGS[status];
  if (known) return { slug: known[0], title: known[1] };
  return { slug: status >= 500 ? 'internal-error' : 'http-error', title: `HTTP ${status}` };
}

function fromHttpException(err: HTTPException): HttpProblem {
  const status = err.status as ContentfulStatusCode;
  const { slug, title } = statusProblem(status);
  // Hono's own messages ("Malformed JSON in request body") are safe for clients; 5xx ones are not.
  const detail = status < 500 && err.message ? err.message : undefined;
  const headers: Record<string, string> = {};
  err.res?.headers.forEach((value, key) => {
    if (key.toLowerCase() !== 'content-type' && key.toLowerCase() !== 'content-length') {
      headers[key] = value;
    }
  });
  return new HttpProblem({ status, slug, title, detail, headers, cause: err });
}

/** Status of a request the client abandoned (nginx's convention): not a server error. */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * Whether the client went away: the request's signal aborted (Node's server aborts it when the
 * connection closes early), or `err` is Node's "aborted" error from reading a body cut short.
 */
export function isClientAbort(c: Context, err?: unknown): boolean {
  if (c.req.raw.signal?.aborted) return true;
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === 'ECONNRESET' && message === 'aborted') return true;
  }
  return false;
}

/**
 * Hono `onError` handler that renders every error as RFC 9457 problem details: `HttpProblem`
 * as given, Hono's `HTTPException` by its status, mapped errors by `mapError`, everything else
 * as a 500 without internals.
 *
 * @example
 * app.onError(problemErrorHandler({ logger, mapError: [mapDatabaseErrors] }));
 */
export function problemErrorHandler(options: ErrorHandlerOptions = {}): ErrorHandler {
  const { logger, mapError = [], exposeInternalErrors = false } = options;
  return function onProblemError(err: Error, c: Context): Response {
    // The client hung up mid-request (e.g. during its upload): nobody reads this answer, and
    // it is not the server's failure, so no 5xx and no error log (whatever the error says).
    if (isClientAbort(c, err)) {
      return problemResponse(c, {
        type: problemType('client-closed-request'),
        title: 'Client closed request',
        // Outside the IANA registry, so outside Hono's status type; nginx logs it the same way.
        status: CLIENT_CLOSED_REQUEST as ContentfulStatusCode,
      });
    }
    let problem: HttpProblem | undefined;
    if (err instanceof HttpProblem) problem = err;
    else {
      for (const map of mapError) {
        problem = map(err);
        if (problem) break;
      }
      if (!problem && err instanceof HTTPException) problem = fromHttpException(err);
    }
    if (!problem) {
      logger?.error({ err, requestId: c.get('requestId') }, 'unhandled error');
      return problemResponse(c, {
        type: problemType('internal-error'),
        title: 'Internal server error',
        status: 500,
        ...(exposeInternalErrors ? { detail: err.message } : {}),
      });
    }
    if (problem.status >= 500) {
      logger?.error({ err, requestId: c.get('requestId') }, problem.title);
    }
    return problemResponse(c, problem.toProblemDetails(), problem.headers);
  };
}

interface RouteLike {
  method: string;
  path: string;
}

function routeMatcher(path: string): RegExp {
  const pattern = path
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${pattern}/?$`);
}

/**
 * Hono `notFound` handler: 405 with an `Allow` header when the path exists under other methods,
 * otherwise 404; both as problem+json.
 *
 * @param routes - the app's route table, usually `() => app.routes`
 */
export function problemNotFoundHandler(routes: () => readonly RouteLike[]): NotFoundHandler {
  const cache = new Map<string, RegExp>();
  return function onProblemNotFound(c: Context): Response {
    const allowed = new Set<string>();
    for (const route of routes()) {
      if (route.method === 'ALL' || route.path === '*' || route.path === '/*') continue;
      let matcher = cache.get(route.path);
      if (!matcher) {
        matcher = routeMatcher(route.path);
        cache.set(route.path, matcher);
      }
      if (matcher.test(c.req.path)) allowed.add(route.method);
    }
    if (allowed.size > 0 && !allowed.has(c.req.method)) {
      if (allowed.has('GET')) allowed.add('HEAD');
      const allow = [...allowed].sort().join(', ');
      return problemResponse(
        c,
        {
          type: problemType('method-not-allowed'),
          title: 'Method not allowed',
          status: 405,
          detail: `${c.req.method} is not supported here; use ${allow}.`,
        },
        { Allow: allow },
      );
    }
    return problemResponse(c, {
      type: problemType('not-found'),
      title: 'Not found',
      status: 404,
      detail: `No route for ${c.req.method} ${c.req.path}.`,
    });
  };
}
