import {
  type Attributes,
  context,
  type MeterProvider,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import { TelemetryError } from '../errors.js';
import { httpServerDurationHistogram } from '../metrics/http-server.js';

/** What `telemetryMiddleware` puts on the context: `c.var.logger`, `c.var.traceId`. */
export interface TelemetryVariables {
  /** Child of the root logger bound to `request_id`, `trace_id` and `span_id`. */
  logger: Logger;
  /** Trace id of the request's server span, when tracing is on. */
  traceId: string | undefined;
}

export interface TelemetryMiddlewareOptions {
  /** The app's root logger (see `createLogger`); each request gets a child of it. Required. */
  logger: Logger;
  /** Meter provider for `http.server.request.duration`. Default: the global one. */
  meterProvider?: MeterProvider | undefined;
  /** Tracer provider for the server span this middleware starts. Default: the global one. */
  tracerProvider?: TracerProvider | undefined;
  /**
   * Reads the request id. Default: `c.var.requestId` (set by `hono/request-id` or the server
   * kit's guardrails), else the `X-Request-Id` header.
   */
  requestId?: ((c: Context) => string | undefined) | undefined;
  /** Return `true` to skip the per-request log line (e.g. health probes); metrics are still recorded. Default: log every request. */
  skipLog?: ((c: Context) => boolean) | undefined;
  /** Return `true` to start no server span for the request (e.g. health probes). Default: trace every request the sampler keeps. */
  skipTrace?: ((c: Context) => boolean) | undefined;
  /**
   * Extra fields for the request log line, read when the request ends (so values set by later
   * middleware, such as the authenticated tenant, are there). Default: none.
   */
  logFields?: ((c: Context) => Record<string, unknown>) | undefined;
}

/** Status logged and recorded for a request whose client went away before the answer (nginx's). */
const CLIENT_CLOSED_REQUEST = 499;

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/** Reads `traceparent`, `tracestate` and `baggage` from the request's headers. */
const HEADER_GETTER: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

const TRACER_NAME = '@micro-app/telemetry';

function defaultRequestId(c: Context): string | undefined {
  // c.get, not c.var: Hono builds a new object of every variable on each c.var read.
  const fromVar = (c.get as (key: string) => unknown)('requestId');
  if (typeof fromVar === 'string') return fromVar;
  return c.req.header('x-request-id');
}

/**
 * The route template that handled the request, e.g. `/v1/groups/:groupId/recommendation`:
 * the last matched route, unless it is a wildcard middleware path (then no route matched: 404).
 */
function routeOf(c: Context): string | undefined {
  const routes = matchedRoutes(c);
  const last = routes[routes.length - 1];
  if (!last || last.path.endsWith('*')) return undefined;
  return last.path;
}

/**
 * Per-request telemetry for Hono. It starts the server span (W3C trace context from the request
 * headers, named `METHOD route`, semantic-convention attributes, ERROR status and the exception
 * on a 5xx) and makes it the active span for the handlers; when an instrumentation already made a
 * server span for the request, it names and enriches that one instead. It records
 * `http.server.request.duration` (seconds, with `http.request.method`, `http.route`,
 * `http.response.status_code`, `url.scheme`, `error.type` on 5xx), puts a child logger bound to
 * `request_id`, `trace_id`, `span_id` on `c.var.logger`, and writes one log line per request
 * (`method`, `route`, `path`, `status`, `duration_ms`). A request whose client hung up before the
 * answer is recorded and logged (info) as status 499, never as a 5xx. Mount it right after the
 * request id middleware and before the routes.
 *
 * Span attributes are computed only for spans the sampler keeps, so an unsampled request costs
 * a context switch and no more (docs/performance.md has the measurements).
 *
 * @param options.logger root logger
 * @param [options.meterProvider=global] meter provider for the duration histogram
 * @param [options.tracerProvider=global] tracer provider for the server span
 * @param [options.requestId] reads the request id
 * @param [options.skipLog] skips the request log line for some requests
 * @param [options.skipTrace] starts no server span for some requests
 * @param [options.logFields] extra fields for the request log line, read when the request ends
 * @throws {TelemetryError} `TELEMETRY_INVALID_OPTIONS` when `logger` is missing
 * @example
 * const app = new Hono<{ Variables: TelemetryVariables }>();
 * app.use(...guardrails(), telemetryMiddleware({ logger }));
 * app.get('/hello', (c) => { c.var.logger.info('hi'); return c.text('hello'); });
 */
export function telemetryMiddleware(
  options: TelemetryMiddlewareOptions,
): MiddlewareHandler<{ Variables: TelemetryVariables }> {
  const {
    logger,
    meterProvider,
    tracerProvider,
    requestId = defaultRequestId,
    skipLog,
    skipTrace,
    logFields,
  } = options ?? {};
  if (!logger || typeof logger.child !== 'function') {
    throw new TelemetryError(
      'TELEMETRY_INVALID_OPTIONS',
      'logger must be a pino logger (see createLogger)',
    );
  }
  const duration = httpServerDurationHistogram(meterProvider);
  const tracer = (tracerProvider ?? trace).getTracer(TRACER_NAME);

  return async function telemetry(c, next) {
    const startedAt = performance.now();
    const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : '_OTHER';
    const scheme = c.req.url.startsWith('https:') ? 'https' : 'http';

    // An instrumentation's server span, when one runs; otherwise ours.
    let span: Span | undefined = trace.getActiveSpan();
    // The context the handlers run in: the caller's trace context and baggage, with our span.
    let requestContext: ReturnType<typeof context.active> | undefined;
    if (span === undefined && !skipTrace?.(c)) {
      const parent = propagation.extract(context.active(), c.req.raw.headers, HEADER_GETTER);
      span = tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
      requestContext = trace.setSpan(parent, span);
    }
    const own = requestContext !== undefined;
    const spanContext = span?.spanContext();
    const traced = spanContext !== undefined && trace.isSpanContextValid(spanContext);
    const bindings: Record<string, string> = {};
    const id = requestId(c);
    if (id !== undefined) bindings.request_id = id;
    if (traced) {
      bindings.trace_id = spanContext.traceId;
      bindings.span_id = spanContext.spanId;
    }
    const log = logger.child(bindings);
    c.set('logger', log);
    c.set('traceId', traced ? spanContext.traceId : undefined);

    let thrown: unknown;
    try {
      if (requestContext) await context.with(requestContext, next);
      else await next();
    } catch (err) {
      thrown = err ?? new Error('non-error thrown');
      throw err;
    } finally {
      finish(thrown);
    }

    function finish(thrown: unknown): void {
      // A client that hung up (its request signal aborted) is the client's doing: 499, as
      // nginx logs it, whatever the handler made of the cut-short body; never a 5xx.
      const aborted = c.req.raw.signal?.aborted === true;
      const status = aborted ? CLIENT_CLOSED_REQUEST : thrown === undefined ? c.res.status : 500;
      const error = thrown ?? c.error;
      const route = routeOf(c);
      const seconds = (performance.now() - startedAt) / 1000;

      const attributes: Attributes = {
        'http.request.method': method,
        'http.response.status_code': status,
        'url.scheme': scheme,
      };
      if (route !== undefined) attributes['http.route'] = route;
      if (status >= 500) attributes['error.type'] = String(status);
      duration.record(seconds, attributes);

      if (span?.isRecording()) {
        if (route !== undefined) span.updateName(`${method} ${route}`);
        if (own) {
          span.setAttributes(attributes);
          span.setAttribute('url.path', c.req.path);
          const userAgent = c.req.header('user-agent');
          if (userAgent !== undefined) span.setAttribute('user_agent.original', userAgent);
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        } else if (route !== undefined) {
          span.setAttribute('http.route', route);
          // The http instrumentation reads the route from here when it ends the span.
          const rpc = getRPCMetadata(context.active());
          if (rpc?.type === RPCType.HTTP) rpc.route = route;
        }
        if (status >= 500 && error instanceof Error) span.recordException(error);
      }
      if (own) span?.end();

      if (skipLog?.(c)) return;
      const line = {
        ...logFields?.(c),
        method: c.req.method,
        route,
        path: c.req.path,
        status,
        duration_ms: Math.round(seconds * 1_000_000) / 1000,
      };
      if (aborted) log.info(line, 'client closed the request');
      else if (status >= 500) log.error(error ? { ...line, err: error } : line, 'request failed');
      else log.info(line, 'request completed');
    }
  };
}
