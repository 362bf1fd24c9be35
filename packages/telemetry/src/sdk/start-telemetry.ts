import { diag } from '@opentelemetry/api';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { type IMetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { startNodeSdk } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { assertNumberInRange, assertPort, TelemetryError } from '../errors.js';
import { registerEsmHooks } from './esm-hooks.js';
import { type PrometheusEndpoint, prometheusEndpoint } from './prometheus.js';
import { type ServiceInfo, serviceResourceAttributes } from './resource.js';

/** Where and how spans and metrics are pushed over OTLP. */
export interface OtlpOptions {
  /**
   * Wire format. `'http/protobuf'` is the OpenTelemetry default; `'http/json'` is easier to read
   * in a test receiver. Default: `'http/protobuf'`.
   */
  protocol?: 'http/protobuf' | 'http/json';
  /**
   * Base URL of the collector, e.g. `'http://otel-collector:4318'`; `/v1/traces` and
   * `/v1/metrics` are appended. Default: not set, so the exporters read
   * `OTEL_EXPORTER_OTLP_ENDPOINT` (and the per-signal variables) themselves, falling back to
   * `http://localhost:4318`.
   */
  endpoint?: string;
  /**
   * Push metrics over OTLP too. Turn it off when Prometheus scrapes `prometheusPort` and the
   * collector's metrics also reach Prometheus, or every series is counted twice. Default: `true`.
   */
  metrics?: boolean;
  /** Interval between metric pushes. Default: `60_000`. */
  metricExportIntervalMs?: number;
  /** Longest wait before a batch of finished spans is sent. Default: `5_000`. */
  spanExportDelayMs?: number;
}

/** Which instrumentations to load. Each is cheap and explicit; there is no "auto" bundle. */
export interface InstrumentationOptions {
  /**
   * Client spans for `http.request` and `https.request`. Server spans come from
   * `telemetryMiddleware`, which knows the route and computes attributes only for sampled
   * requests; the `node:http` server instrumentation cost about ten times as much per request
   * (docs/performance.md). Default: `true`.
   */
  http?: boolean;
  /** Client spans for `fetch` (Node's built-in undici). Default: `true`. */
  fetch?: boolean;
  /** Client spans for `ioredis` commands, when the app uses ioredis. Default: `true`. */
  ioredis?: boolean;
}

export interface TelemetryOptions {
  /** Service identity; becomes the resource attributes of every span and metric. Required. */
  service: ServiceInfo;
  /**
   * Push spans and metrics over OTLP. `false` (the default) exports nothing, loads no
   * instrumentation and never touches the network: the right setting when no collector is
   * configured. Default: `false`.
   */
  otlp?: OtlpOptions | false;
  /**
   * Share of new traces to keep (0-1), applied to root spans only; child spans follow their
   * parent's decision (parent-based sampling). Keep 1 when a collector tail-samples. Default: not
   * set, so `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG` apply, else parent-based always-on (1.0).
   */
  sampleRatio?: number;
  /**
   * Serve metrics as Prometheus text on this port (path `/metrics`), separate from the app's
   * port so it is never exposed through the ingress. Default: not set (no endpoint).
   */
  prometheusPort?: number;
  /** Interface the Prometheus endpoint binds. Default: all interfaces. */
  prometheusHost?: string;
  /** Instrumentations to load when `otlp` is on. Default: all of them. */
  instrumentations?: InstrumentationOptions;
  /**
   * Longest time `shutdown()` waits for the last export; after that it resolves anyway, so an
   * unreachable collector never holds up a deploy. Default: `1_000`.
   */
  shutdownTimeoutMs?: number;
}

/** A running telemetry pipeline. */
export interface Telemetry {
  /**
   * Resolves once the Prometheus endpoint listens (at once when there is none); rejects when it
   * cannot listen, e.g. the port is taken. Awaiting it is optional.
   */
  readonly ready: Promise<void>;
  /** Whether spans and metrics are pushed over OTLP. */
  readonly exporting: boolean;
  /** Port the Prometheus endpoint listens on once `ready` (useful with `prometheusPort: 0`). */
  readonly prometheusPort: number | undefined;
  /**
   * Flushes pending spans and metrics and stops every exporter and the Prometheus endpoint.
   * Resolves within `shutdownTimeoutMs` even when the collector is down. Idempotent.
   */
  shutdown(): Promise<void>;
}

/** Modules the ESM loader hook intercepts: exactly those the instrumentations patch. */
const INSTRUMENTED_MODULES = ['http', 'https', 'ioredis'];

let running = false;

function validate(options: TelemetryOptions): void {
  if (!options || typeof options !== 'object') {
    throw new TelemetryError('TELEMETRY_INVALID_OPTIONS', 'startTelemetry needs an options object');
  }
  const { otlp, sampleRatio, prometheusPort, shutdownTimeoutMs } = options;
  if (sampleRatio !== undefined) assertNumberInRange('sampleRatio', sampleRatio, 0, 1);
  if (prometheusPort !== undefined) assertPort('prometheusPort', prometheusPort);
  if (shutdownTimeoutMs !== undefined) {
    assertNumberInRange('shutdownTimeoutMs', shutdownTimeoutMs, 1, 60_000);
  }
  if (otlp) {
    if (otlp.protocol !== undefined && !['http/protobuf', 'http/json'].includes(otlp.protocol)) {
      throw new TelemetryError(
        'TELEMETRY_INVALID_OPTIONS',
        `otlp.protocol must be 'http/protobuf' or 'http/json', got ${String(otlp.protocol)}`,
      );
    }
    if (otlp.endpoint !== undefined && !URL.canParse(otlp.endpoint)) {
      throw new TelemetryError(
        'TELEMETRY_INVALID_OPTIONS',
        `otlp.endpoint is not a URL: ${otlp.endpoint}`,
      );
    }
    if (otlp.metrics !== undefined && typeof otlp.metrics !== 'boolean') {
      throw new TelemetryError('TELEMETRY_INVALID_OPTIONS', 'otlp.metrics must be a boolean');
    }
    if (otlp.metricExportIntervalMs !== undefined) {
      assertNumberInRange(
        'otlp.metricExportIntervalMs',
        otlp.metricExportIntervalMs,
        100,
        3_600_000,
      );
    }
    if (otlp.spanExportDelayMs !== undefined) {
      assertNumberInRange('otlp.spanExportDelayMs', otlp.spanExportDelayMs, 1, 3_600_000);
    }
  }
}

function signalUrl(endpoint: string | undefined, path: string): { url?: string } {
  return endpoint === undefined ? {} : { url: `${endpoint.replace(/\/+$/, '')}${path}` };
}

function otlpPipeline(otlp: OtlpOptions): {
  spans: SpanProcessor;
  metrics: IMetricReader | undefined;
} {
  const json = otlp.protocol === 'http/json';
  const traceConfig = signalUrl(otlp.endpoint, '/v1/traces');
  const metricConfig = signalUrl(otlp.endpoint, '/v1/metrics');
  const intervalMs = otlp.metricExportIntervalMs ?? 60_000;
  return {
    spans: new BatchSpanProcessor({
      exporter: json
        ? new OTLPTraceExporterJson(traceConfig)
        : new OTLPTraceExporterProto(traceConfig),
      ...(otlp.spanExportDelayMs === undefined
        ? {}
        : { scheduledDelayMillis: otlp.spanExportDelayMs }),
    }),
    metrics:
      otlp.metrics === false
        ? undefined
        : new PeriodicExportingMetricReader({
            exporter: json
              ? new OTLPMetricExporterJson(metricConfig)
              : new OTLPMetricExporterProto(metricConfig),
            exportIntervalMillis: intervalMs,
            exportTimeoutMillis: Math.min(30_000, intervalMs),
          }),
  };
}

function instrumentationsFor(options: InstrumentationOptions): Instrumentation[] {
  const list: Instrumentation[] = [];
  if (options.http !== false) {
    list.push(new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }));
  }
  if (options.fetch !== false) list.push(new UndiciInstrumentation());
  if (options.ioredis !== false) list.push(new IORedisInstrumentation());
  return list;
}

const sleep = (ms: number) =>
  new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());

/**
 * Starts the OpenTelemetry Node SDK. Call it from the app's `instrumentation.ts`, loaded with
 * `node --import ./dist/instrumentation.js` so it runs before anything imports `node:http`.
 *
 * Exports nothing unless `otlp` is set; serves Prometheus text on `prometheusPort` when set.
 * The SDK itself reads the standard variables: `OTEL_EXPORTER_OTLP_*` (endpoint, headers,
 * timeout, compression), `OTEL_TRACES_SAMPLER[_ARG]` (when `sampleRatio` is not set),
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_PROPAGATORS`, `OTEL_SDK_DISABLED`, `OTEL_LOG_LEVEL`.
 *
 * @param options.service service identity (resource attributes)
 * @param [options.otlp=false] OTLP export settings, or `false` for none
 * @param [options.sampleRatio] parent-based trace ratio (0-1)
 * @param [options.prometheusPort] port of the `/metrics` endpoint
 * @param [options.shutdownTimeoutMs=1000] bound on `shutdown()`
 * @throws {TelemetryError} `TELEMETRY_INVALID_OPTIONS` for a bad option, `TELEMETRY_ALREADY_STARTED` when running
 * @example
 * // src/instrumentation.ts
 * export const telemetry = startTelemetry({
 *   service: { name: 'where2eat', version: '1.0.0', environment: 'production' },
 *   otlp: { protocol: 'http/protobuf' },
 *   prometheusPort: 9464,
 * });
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  validate(options);
  const resourceAttributes = serviceResourceAttributes(options.service);
  if (running) {
    throw new TelemetryError(
      'TELEMETRY_ALREADY_STARTED',
      'telemetry was already started in this process: start it once, from the --import module, and import its handle elsewhere',
    );
  }

  const {
    otlp = false,
    sampleRatio,
    prometheusPort,
    prometheusHost,
    instrumentations = {},
    shutdownTimeoutMs = 1_000,
  } = options;

  const readers: IMetricReader[] = [];
  let prometheus: PrometheusEndpoint | undefined;
  if (prometheusPort !== undefined) {
    prometheus = prometheusEndpoint(prometheusPort, prometheusHost);
    readers.push(prometheus.reader);
  }

  let spanProcessors: SpanProcessor[] = [];
  let loaded: Instrumentation[] = [];
  if (otlp) {
    const pipeline = otlpPipeline(otlp);
    spanProcessors = [pipeline.spans];
    if (pipeline.metrics) readers.push(pipeline.metrics);
    loaded = instrumentationsFor(instrumentations);
    registerEsmHooks(INSTRUMENTED_MODULES);
  }

  const sdk = startNodeSdk({
    resourceAttributes,
    spanProcessors,
    ...(sampleRatio === undefined
      ? {}
      : { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampleRatio) }) }),
    metricReaders: readers,
    logRecordProcessors: [],
    instrumentations: loaded,
  });
  running = true;

  let stopping: Promise<void> | undefined;
  return {
    ready: prometheus?.ready ?? Promise.resolve(),
    exporting: Boolean(otlp),
    get prometheusPort() {
      return prometheus?.port();
    },
    shutdown() {
      stopping ??= (async () => {
        const stopped = sdk.shutdown().then(
          () => 'done' as const,
          (err: unknown) => {
            diag.error('telemetry shutdown failed', err);
            return 'done' as const;
          },
        );
        if ((await Promise.race([stopped, sleep(shutdownTimeoutMs)])) === 'timeout') {
          diag.warn(
            `telemetry shutdown gave up after ${shutdownTimeoutMs} ms; unsent data is lost`,
          );
        }
        await prometheus?.close();
        // The SDK's global providers stay registered: a process starts telemetry once.
        for (const instrumentation of loaded) instrumentation.disable();
      })();
      return stopping;
    },
  };
}
