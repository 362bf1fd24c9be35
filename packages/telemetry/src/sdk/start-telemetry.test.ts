import { afterEach, describe, expect, it } from 'vitest';
import { TelemetryError } from '../errors.js';
import {
  deadPort,
  FIXTURE_TEST_TIMEOUT_MS,
  startFixture,
  startUpstream,
} from '../test/fixture-process.js';
import { attributes, type OtlpSpan, startOtlpReceiver } from '../test/otlp-receiver.js';
import { startTelemetry, type TelemetryOptions } from './start-telemetry.js';

const ROUTE = '/v1/groups/:groupId/recommendation';
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const STATUS_ERROR = 2;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function spanNamed(spans: OtlpSpan[], name: string): OtlpSpan {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${name}; got ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

// Each test spawns a node process that loads the OpenTelemetry SDK and waits for its shutdown.
describe('startTelemetry in an app started with node --import (child process, real HTTP)', {
  timeout: FIXTURE_TEST_TIMEOUT_MS,
}, () => {
  it('exports a server span named by the Hono route, its child spans, correlated logs and RED metrics', async () => {
    const receiver = await startOtlpReceiver();
    const upstream = await startUpstream();
    cleanups.push(receiver.close, upstream.close);
    const app = await startFixture({
      FIXTURE_OTLP: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      FIXTURE_PROMETHEUS_PORT: '0',
      FIXTURE_UPSTREAM_URL: upstream.url,
    });

    const ok = await fetch(`${app.url}/v1/groups/g-42/recommendation`, {
      headers: { 'x-request-id': 'req-abc-1' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      groupId: 'g-42',
      restaurant: 'Chez Fixture',
      upstreamStatus: 200,
    });
    const boom = await fetch(`${app.url}/boom`);
    expect(boom.status).toBe(500);
    await boom.text();
    const probe = await fetch(`${app.url}/health`);
    expect(await probe.json()).toEqual({ status: 'pass' });

    // Prometheus text on its own port, with the names the SLO rules use.
    const scrape = await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    const bucket = text
      .split('\n')
      .find(
        (line) =>
          line.startsWith('http_server_request_duration_seconds_bucket{') &&
          line.includes(`http_route="${ROUTE}"`) &&
          line.includes('le="0.3"'),
      );
    expect(bucket).toContain('http_response_status_code="200"');
    expect(bucket).toContain('service_name="fixture-app"');
    expect(bucket).toMatch(/ 1$/);
    expect(text).toMatch(
      /^http_server_request_duration_seconds_count\{[^}]*http_route="\/boom"[^}]*\} 1$/m,
    );
    expect(text).toContain('db_client_operation_duration_seconds_count{');
    expect(text).not.toContain('otel_scope_name="@opentelemetry/instrumentation-http"');

    const { code, shutdownMs } = await app.stop();
    expect(code).toBe(0);
    // shutdown finished (its line printed) and flushed: the spans below arrived, nothing gave up
    expect(shutdownMs).toEqual(expect.any(Number));
    expect(app.stderr()).not.toContain('telemetry shutdown gave up');

    // Traces
    const spans = receiver.spans();
    const server = spanNamed(spans, `GET ${ROUTE}`);
    expect(server.kind).toBe(SPAN_KIND_SERVER);
    expect(attributes(server.attributes)).toMatchObject({
      'http.route': ROUTE,
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'url.path': '/v1/groups/g-42/recommendation',
    });
    expect(server.resource).toMatchObject({
      'service.name': 'fixture-app',
      'service.version': '9.9.9',
      'deployment.environment.name': 'test',
      'app.id': 'fixture',
      team: 'observability',
      cost_center: 'cc-42',
    });
    const db = spanNamed(spans, 'SELECT restaurants');
    expect(db.traceId).toBe(server.traceId);
    expect(db.parentSpanId).toBe(server.spanId);
    expect(attributes(db.attributes)).toMatchObject({ 'db.system.name': 'postgresql' });
    const client = spans.find((s) => s.kind === SPAN_KIND_CLIENT && s.traceId === server.traceId);
    expect(client?.parentSpanId).toBe(server.spanId);
    expect(upstream.headers[0]?.traceparent).toMatch(
      new RegExp(`^00-${server.traceId}-[0-9a-f]{16}-01$`),
    );

    const failed = spanNamed(spans, 'GET /boom');
    expect(failed.status?.code).toBe(STATUS_ERROR);
    expect(attributes(failed.attributes)['http.response.status_code']).toBe(500);
    // Probes and scrapes make no spans.
    expect(
      spans
        .filter((s) => s.kind === SPAN_KIND_SERVER)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['GET /boom', `GET ${ROUTE}`]);

    // Logs: the request line and the handler's line carry the server span's ids.
    const requestLine = app.lines.find((l) => l.msg === 'request completed' && l.route === ROUTE);
    expect(requestLine).toMatchObject({
      level: 'info',
      request_id: 'req-abc-1',
      trace_id: server.traceId,
      span_id: server.spanId,
      method: 'GET',
      path: '/v1/groups/g-42/recommendation',
      status: 200,
    });
    expect(requestLine?.duration_ms).toEqual(expect.any(Number));
    expect(app.lines.find((l) => l.msg === 'recommendation computed')).toMatchObject({
      trace_id: server.traceId,
      groupId: 'g-42',
    });
    expect(app.lines.find((l) => l.msg === 'request failed')).toMatchObject({
      level: 'error',
      route: '/boom',
      status: 500,
      trace_id: failed.traceId,
      err: { message: 'kaboom' },
    });
    expect(app.lines.some((l) => l.path === '/health')).toBe(false);

    // Metrics over OTLP
    const durations = receiver.metrics().filter((m) => m.name === 'http.server.request.duration');
    expect(durations.map((m) => m.scope)).toEqual(['@micro-app/telemetry']);
    expect(durations[0]?.unit).toBe('s');
    const points = durations[0]?.dataPoints.map((p) => ({
      ...attributes(p.attributes),
      count: Number(p.count),
    }));
    expect(points).toContainEqual({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'http.route': ROUTE,
      'url.scheme': 'http',
      count: 1,
    });
    expect(points).toContainEqual({
      'http.request.method': 'GET',
      'http.response.status_code': 500,
      'http.route': '/boom',
      'url.scheme': 'http',
      'error.type': '500',
      count: 1,
    });
    expect(durations[0]?.dataPoints[0]?.explicitBounds).toContain(0.3);
    expect(receiver.metrics().some((m) => m.name === 'db.client.operation.duration')).toBe(true);
  });

  it('exports nothing and still serves when OTLP is off, even with OTEL_EXPORTER_OTLP_ENDPOINT set', async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(receiver.close);
    const app = await startFixture({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });

    const response = await fetch(`${app.url}/v1/groups/g-7/recommendation`, {
      headers: { 'x-request-id': 'req-off-1' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ groupId: 'g-7', restaurant: 'Chez Fixture' });
    const { code, shutdownMs } = await app.stop();

    expect(code).toBe(0);
    expect(shutdownMs).toEqual(expect.any(Number));
    expect(receiver.requests).toEqual([]);
    const line = app.lines.find((l) => l.msg === 'request completed');
    expect(line).toMatchObject({ request_id: 'req-off-1', route: ROUTE, status: 200 });
    expect(line).not.toHaveProperty('trace_id');
    expect(app.stderr()).toBe('');
    // The app imported the handle from the --import module; a second start is refused.
    expect(app.lines.find((l) => l.fixture === 'second-start')).toEqual({
      fixture: 'second-start',
      code: 'TELEMETRY_ALREADY_STARTED',
    });
  });

  it('pushes only spans over OTLP when otlp.metrics is off (Prometheus scrapes the metrics)', async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(receiver.close);
    const app = await startFixture({
      FIXTURE_OTLP: '1',
      FIXTURE_OTLP_METRICS: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      FIXTURE_PROMETHEUS_PORT: '0',
    });

    const response = await fetch(`${app.url}/v1/groups/g-3/recommendation`);
    expect(await response.json()).toEqual({ groupId: 'g-3', restaurant: 'Chez Fixture' });
    const scrape = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
    expect((await app.stop()).code).toBe(0);

    expect(scrape).toContain(`http_route="${ROUTE}"`);
    expect(receiver.requests.map((r) => r.path)).toEqual(['/v1/traces']);
    expect(spanNamed(receiver.spans(), `GET ${ROUTE}`).kind).toBe(SPAN_KIND_SERVER);
  });

  it('keeps serving when the collector is unreachable and still shuts down in bounded time', async () => {
    const port = await deadPort();
    const app = await startFixture({
      FIXTURE_OTLP: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      FIXTURE_SPAN_DELAY_MS: '10',
    });

    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${app.url}/v1/groups/g-${i}/recommendation`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ groupId: `g-${i}` });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const { code, shutdownMs } = await app.stop();

    // Every request was answered and logged while the exporter could not deliver anything.
    expect(code).toBe(0);
    expect(shutdownMs).toEqual(expect.any(Number));
    expect(app.lines.filter((l) => l.msg === 'request completed')).toHaveLength(20);
    // The exporter was still retrying the dead collector: shutdown gave up on it at the bound.
    expect(app.stderr()).toContain('telemetry shutdown gave up after 1000 ms');
  });
});

describe('startTelemetry options', () => {
  const service = { name: 'where2eat' };
  const cases: Array<[string, TelemetryOptions, RegExp]> = [
    ['an empty service name', { service: { name: ' ' } }, /service\.name/],
    ['a sample ratio above 1', { service, sampleRatio: 1.5 }, /sampleRatio/],
    ['a negative sample ratio', { service, sampleRatio: -0.1 }, /sampleRatio/],
    ['a port out of range', { service, prometheusPort: 70_000 }, /prometheusPort/],
    [
      'an unknown OTLP protocol',
      { service, otlp: { protocol: 'grpc' as 'http/json' } },
      /otlp\.protocol/,
    ],
    [
      'an OTLP endpoint that is not a URL',
      { service, otlp: { endpoint: 'collector' } },
      /endpoint/,
    ],
    ['a zero shutdown timeout', { service, shutdownTimeoutMs: 0 }, /shutdownTimeoutMs/],
  ];
  it.each(cases)('rejects %s at once with TELEMETRY_INVALID_OPTIONS', (_, options, message) => {
    let thrown: unknown;
    try {
      startTelemetry(options);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TelemetryError);
    expect(thrown).toMatchObject({ code: 'TELEMETRY_INVALID_OPTIONS', name: 'TelemetryError' });
    expect((thrown as Error).message).toMatch(message);
  });
});
