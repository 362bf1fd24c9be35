import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelemetryError } from '../errors.js';
import { createLogger } from '../logger/create-logger.js';
import { captureLines, collectingMeterProvider } from '../test/capture.js';
import { type TelemetryVariables, telemetryMiddleware } from './index.js';

const ROUTE = '/v1/groups/:groupId/recommendation';

function buildApp(
  options: {
    skipLog?: (path: string) => boolean;
    skipTrace?: (path: string) => boolean;
    tracerProvider?: TracerProvider;
  } = {},
) {
  const { stream, lines } = captureLines();
  const logger = createLogger({ destination: stream });
  const metrics = collectingMeterProvider();
  const app = new Hono<{ Variables: TelemetryVariables }>();
  app.use(requestId());
  app.use(
    telemetryMiddleware({
      logger,
      meterProvider: metrics.meterProvider,
      ...(options.skipLog ? { skipLog: (c) => options.skipLog?.(c.req.path) ?? false } : {}),
      ...(options.skipTrace ? { skipTrace: (c) => options.skipTrace?.(c.req.path) ?? false } : {}),
      ...(options.tracerProvider ? { tracerProvider: options.tracerProvider } : {}),
    }),
  );
  app.get(ROUTE, (c) => {
    c.var.logger.info({ groupId: c.req.param('groupId') }, 'recommendation computed');
    return c.json({ groupId: c.req.param('groupId') });
  });
  app.get('/teapot', () => {
    throw new HTTPException(418, { message: 'short and stout' });
  });
  app.get('/boom', () => {
    throw new Error('kaboom');
  });
  app.get('/health/live', (c) => c.json({ status: 'pass' }));
  app.onError((err, c) =>
    err instanceof HTTPException ? err.getResponse() : c.text('Internal Server Error', 500),
  );
  return { app, lines, metrics };
}

describe('telemetryMiddleware', () => {
  it('records http.server.request.duration in seconds with the matched Hono route', async () => {
    const { app, metrics } = buildApp();

    const ok = await app.request('/v1/groups/g-1/recommendation');
    const missing = await app.request('/v1/unknown/path');
    const boom = await app.request('/boom', { method: 'GET' });
    await app.request('/v1/groups/g-2/recommendation');

    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ groupId: 'g-1' });
    expect(missing.status).toBe(404);
    expect(boom.status).toBe(500);
    await metrics.collect();
    const points = metrics.histogramPoints('http.server.request.duration');
    expect(points).toHaveLength(3);
    expect(points).toContainEqual(
      expect.objectContaining({
        attributes: {
          'http.request.method': 'GET',
          'http.response.status_code': 200,
          'http.route': ROUTE,
          'url.scheme': 'http',
        },
        count: 2,
      }),
    );
    // An unmatched path gets no http.route: raw paths would explode the series count.
    expect(points).toContainEqual(
      expect.objectContaining({
        attributes: {
          'http.request.method': 'GET',
          'http.response.status_code': 404,
          'url.scheme': 'http',
        },
        count: 1,
      }),
    );
    expect(points).toContainEqual(
      expect.objectContaining({
        attributes: expect.objectContaining({ 'http.route': '/boom', 'error.type': '500' }),
        count: 1,
      }),
    );
    for (const point of points) expect(point.sum).toBeLessThan(5);
  });

  it('folds unknown methods into _OTHER', async () => {
    const { app, metrics } = buildApp();
    const response = await app.request('/v1/groups/g-1/recommendation', { method: 'PURGE' });
    expect(response.status).toBe(404);
    await metrics.collect();
    expect(metrics.histogramPoints('http.server.request.duration')[0]?.attributes).toMatchObject({
      'http.request.method': '_OTHER',
    });
  });

  it('writes one line per request and gives handlers a child logger bound to the request id', async () => {
    const { app, lines } = buildApp();

    const response = await app.request('/v1/groups/g-9/recommendation', {
      headers: { 'x-request-id': 'req-123', authorization: 'Bearer secret' },
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ groupId: 'g-9' });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'recommendation computed',
      request_id: 'req-123',
      groupId: 'g-9',
    });
    expect(lines[1]).toMatchObject({
      level: 'info',
      msg: 'request completed',
      request_id: 'req-123',
      method: 'GET',
      route: ROUTE,
      path: '/v1/groups/g-9/recommendation',
      status: 200,
    });
    expect(lines[1]?.duration_ms).toEqual(expect.any(Number));
    expect(lines[1]).not.toHaveProperty('trace_id');
    expect(JSON.stringify(lines)).not.toContain('secret');
  });

  it('logs 5xx at error level with the error, and 4xx at info', async () => {
    const { app, lines } = buildApp();

    const boom = await app.request('/boom');
    const teapot = await app.request('/teapot');

    expect(boom.status).toBe(500);
    expect(await boom.text()).toBe('Internal Server Error');
    expect(teapot.status).toBe(418);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'request failed',
      route: '/boom',
      status: 500,
      err: { type: 'Error', message: 'kaboom' },
    });
    expect(lines[1]).toMatchObject({ level: 'info', route: '/teapot', status: 418 });
  });

  it('records and logs a request whose client hung up as 499 at info, never as a 5xx', async () => {
    const { app, lines, metrics } = buildApp();
    const controller = new AbortController();
    app.post('/upload', async () => {
      controller.abort(); // what the Node server does when the connection closes mid-upload
      throw new Error('aborted');
    });

    await app.request('/upload', { method: 'POST', body: 'x', signal: controller.signal });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'client closed the request',
      route: '/upload',
      status: 499,
    });
    expect(lines[0]).not.toHaveProperty('err');
    await metrics.collect();
    const [point] = metrics.histogramPoints('http.server.request.duration');
    expect(point?.attributes).toMatchObject({ 'http.response.status_code': 499 });
    expect(point?.attributes).not.toHaveProperty('error.type');
  });

  it('adds logFields, read when the request ends, to the request line', async () => {
    const { stream, lines } = captureLines();
    const app = new Hono<{ Variables: TelemetryVariables & { tenant?: string } }>();
    app.use(
      telemetryMiddleware({
        logger: createLogger({ destination: stream }),
        logFields: (c) => ({ tenant: c.get('tenant') ?? null }),
      }),
    );
    app.get('/mine', (c) => {
      c.set('tenant', 'acme'); // set after telemetry ran, as authentication does
      return c.text('ok');
    });
    await app.request('/mine');
    await app.request('/nobody');
    expect(lines.map((l) => [l.path, l.tenant])).toEqual([
      ['/mine', 'acme'],
      ['/nobody', null],
    ]);
  });

  it('skips the log line where skipLog says so but still records the metric', async () => {
    const { app, lines, metrics } = buildApp({ skipLog: (path) => path.startsWith('/health') });

    const response = await app.request('/health/live');

    expect(await response.json()).toEqual({ status: 'pass' });
    expect(lines).toEqual([]);
    await metrics.collect();
    expect(metrics.histogramPoints('http.server.request.duration')[0]?.attributes).toMatchObject({
      'http.route': '/health/live',
    });
  });

  it('throws TELEMETRY_INVALID_OPTIONS at once without a logger', () => {
    expect(() => telemetryMiddleware({} as never)).toThrow(TelemetryError);
    expect(() => telemetryMiddleware({ logger: {} as never })).toThrow(/pino logger/);
  });
});

describe('telemetryMiddleware inside a server span', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(async () => {
    context.disable();
    await provider.shutdown();
  });

  it('names the active span METHOD route, sets http.route and logs its trace and span ids', async () => {
    const { app, lines } = buildApp();
    const tracer = provider.getTracer('test');
    // Stands in for the http instrumentation, which makes the server span before Hono runs.
    const response = await tracer.startActiveSpan('GET', async (span) => {
      const res = await app.request('/v1/groups/g-5/recommendation');
      span.end();
      return res;
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ groupId: 'g-5' });
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe(`GET ${ROUTE}`);
    expect(span?.attributes['http.route']).toBe(ROUTE);
    const ids = { trace_id: span?.spanContext().traceId, span_id: span?.spanContext().spanId };
    expect(lines[0]).toMatchObject({ msg: 'recommendation computed', ...ids });
    expect(lines[1]).toMatchObject({ msg: 'request completed', ...ids });
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('records the exception on the span of a failed request', async () => {
    exporter.reset();
    const { app } = buildApp();
    const tracer = provider.getTracer('test');
    await tracer.startActiveSpan('GET', async (span) => {
      await app.request('/boom');
      span.end();
    });

    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('GET /boom');
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
    expect(span?.events[0]?.attributes?.['exception.message']).toBe('kaboom');
  });
});

describe('telemetryMiddleware starting the server span itself', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(
      new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      }),
    );
  });
  afterAll(async () => {
    propagation.disable();
    context.disable();
    await provider.shutdown();
  });

  it("continues the caller's trace in a SERVER span named by the route, active for the handler", async () => {
    exporter.reset();
    const { app, lines } = buildApp({ tracerProvider: provider });
    const parentTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await app.request('https://where2eat.example/v1/groups/g-7/recommendation', {
      headers: {
        traceparent: `00-${parentTrace}-00f067aa0ba902b7-01`,
        'user-agent': 'test-agent/1.0',
      },
    });

    expect(response.status).toBe(200);
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe(`GET ${ROUTE}`);
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.spanContext().traceId).toBe(parentTrace);
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': ROUTE,
      'http.response.status_code': 200,
      'url.scheme': 'https',
      'url.path': '/v1/groups/g-7/recommendation',
      'user_agent.original': 'test-agent/1.0',
    });
    // The handler's log line ran inside the span.
    expect(lines[0]).toMatchObject({
      msg: 'recommendation computed',
      trace_id: parentTrace,
      span_id: span?.spanContext().spanId,
    });
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it("gives the handlers the caller's baggage along with the span", async () => {
    const app = new Hono();
    app.use(
      telemetryMiddleware({ logger: createLogger({ level: 'silent' }), tracerProvider: provider }),
    );
    app.get('/baggage', (c) =>
      c.json({
        tenant: propagation.getActiveBaggage()?.getEntry('tenant')?.value ?? null,
        traced: trace.getActiveSpan() !== undefined,
      }),
    );
    const response = await app.request('/baggage', { headers: { baggage: 'tenant=t-42' } });
    expect(await response.json()).toEqual({ tenant: 't-42', traced: true });
  });

  it('marks a 5xx span as ERROR with the exception, and a 4xx as unset', async () => {
    exporter.reset();
    const { app } = buildApp({ tracerProvider: provider });
    await app.request('/boom');
    await app.request('/teapot');

    const [boom, teapot] = exporter.getFinishedSpans();
    expect(boom?.name).toBe('GET /boom');
    expect(boom?.status.code).toBe(SpanStatusCode.ERROR);
    expect(boom?.attributes['error.type']).toBe('500');
    expect(boom?.events.map((event) => event.name)).toEqual(['exception']);
    expect(teapot?.status.code).toBe(SpanStatusCode.UNSET);
    expect(teapot?.attributes['http.response.status_code']).toBe(418);
  });

  it('starts no span where skipTrace says so, and records nothing on an unsampled span', async () => {
    exporter.reset();
    const { app, lines } = buildApp({
      tracerProvider: provider,
      skipTrace: (path) => path.startsWith('/health/'),
    });
    await app.request('/health/live');
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(lines[0]).not.toHaveProperty('trace_id');

    const unsampledExporter = new InMemorySpanExporter();
    const unsampled = new TracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [new SimpleSpanProcessor({ exporter: unsampledExporter })],
    });
    const off = buildApp({ tracerProvider: unsampled });
    expect((await off.app.request('/v1/groups/g-1/recommendation')).status).toBe(200);
    expect(unsampledExporter.getFinishedSpans()).toEqual([]);
    // The metrics and the log line do not depend on sampling.
    expect(off.lines.at(-1)).toMatchObject({ msg: 'request completed', status: 200 });
    await off.metrics.collect();
    expect(off.metrics.histogramPoints('http.server.request.duration')).toHaveLength(1);
    await unsampled.shutdown();
  });
});
