import { problemResponse, problemType } from '@micro-app/problem';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { timeout } from 'hono/timeout';
import { ServerError } from '../errors.js';

export interface GuardrailsOptions {
  /** Largest accepted request body in bytes; larger bodies get 413. Default: `1_048_576` (1 MiB). */
  bodyLimitBytes?: number;
  /** Time a request may take before it is answered with 504. Default: `10_000`. */
  timeoutMs?: number;
  /** Header carrying the request id in and out. Default: `'X-Request-Id'`. */
  requestIdHeader?: string;
  /**
   * Content-Security-Policy for responses that set none themselves: a route that sets its own
   * `Content-Security-Policy` header (an HTML page such as the API reference at `/docs`) keeps
   * it. Default: `"default-src 'none'; frame-ancestors 'none'"`.
   */
  contentSecurityPolicy?: Record<string, string[]> | false;
}

const CSP = 'Content-Security-Policy';

/**
 * `hono/secure-headers`, except that a `Content-Security-Policy` the route set itself wins over
 * the default one. Hono's middleware writes its headers after the route ran, so it would replace
 * the route's policy with the default (its `overwrite: false` would keep every header a route
 * set, not only this one).
 */
function secureHeadersKeepingRouteCsp(
  options: Parameters<typeof secureHeaders>[0],
): MiddlewareHandler {
  const headers = secureHeaders(options);
  return async function secureHeadersUnlessRouteCsp(c, next) {
    const route: { csp: string | null } = { csp: null };
    await headers(c, async () => {
      await next();
      route.csp = c.res.headers.get(CSP);
    });
    if (route.csp !== null) c.res.headers.set(CSP, route.csp);
  };
}

/**
 * `hono/body-limit` for the methods that can carry a body. A GET or HEAD request has none (the
 * Fetch `Request` cannot hold one), and asking for it would make @hono/node-server build a full
 * `Request` for every read, which costs more than the rest of the guardrails together.
 */
function limitBody(maxSize: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize,
    onError: (c) =>
      problemResponse(c, {
        type: problemType('payload-too-large'),
        title: 'Payload too large',
        status: 413,
        detail: `Request bodies are limited to ${maxSize} bytes.`,
      }),
  });
  return async function bodyLimitUnlessBodiless(c, next) {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    return limit(c, next);
  };
}

/**
 * The request guardrails every app runs first, in order: request id (the client's
 * `X-Request-Id` is kept only when it is at most 128 word characters, `-` or `=`), secure headers
 * (a `Content-Security-Policy` the route set itself is kept), body size limit (413 problem+json)
 * and request timeout (504 problem+json).
 *
 * @throws {ServerError} `SERVER_INVALID_OPTIONS` (a `RangeError`) when a limit is not a positive number
 * @example
 * app.use(...guardrails({ bodyLimitBytes: 64 * 1024, timeoutMs: 5_000 }));
 */
export function guardrails(options: GuardrailsOptions = {}): MiddlewareHandler[] {
  const {
    bodyLimitBytes = 1_048_576,
    timeoutMs = 10_000,
    requestIdHeader = 'X-Request-Id',
    contentSecurityPolicy,
  } = options;
  if (!Number.isFinite(bodyLimitBytes) || bodyLimitBytes <= 0) {
    throw new ServerError(
      'SERVER_INVALID_OPTIONS',
      `bodyLimitBytes must be a positive number, got ${bodyLimitBytes}`,
    );
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ServerError(
      'SERVER_INVALID_OPTIONS',
      `timeoutMs must be a positive number, got ${timeoutMs}`,
    );
  }
  return [
    requestId({
      headerName: requestIdHeader,
      generator: () => crypto.randomUUID(),
      limitLength: 128,
    }),
    secureHeadersKeepingRouteCsp(
      contentSecurityPolicy === false
        ? {}
        : {
            contentSecurityPolicy: contentSecurityPolicy ?? {
              defaultSrc: ["'none'"],
              frameAncestors: ["'none'"],
            },
          },
    ),
    limitBody(bodyLimitBytes),
    timeout(
      timeoutMs,
      () =>
        new HTTPException(504, { message: `The request did not complete within ${timeoutMs} ms.` }),
    ),
  ];
}
