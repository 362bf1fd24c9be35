import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { diag } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import {
  AggregationTemporality,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/**
 * Prometheus unit suffixes for UCUM units (OpenTelemetry's Prometheus compatibility rules), so a
 * scraped `http.server.request.duration` (unit `s`) is `http_server_request_duration_seconds`,
 * the same name the OpenTelemetry Collector's Prometheus exporter gives it.
 */
const UNIT_SUFFIXES: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  '%': 'percent',
};

/** `name` with the Prometheus suffix of `unit` appended, unless it already ends with it. */
export function prometheusName(name: string, unit: string): string {
  const suffix = UNIT_SUFFIXES[unit];
  if (!suffix) return name;
  return name.replace(/[^\w]+/g, '_').endsWith(`_${suffix}`) ? name : `${name}_${suffix}`;
}

function withUnitSuffixes(resourceMetrics: ResourceMetrics): ResourceMetrics {
  return {
    ...resourceMetrics,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((metric) => ({
        ...metric,
        descriptor: {
          ...metric.descriptor,
          name: prometheusName(metric.descriptor.name, metric.descriptor.unit),
        },
      })),
    })),
  };
}

/** A pull reader: the SDK aggregates cumulatively and the endpoint collects on each scrape. */
class ScrapeReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface PrometheusEndpoint {
  reader: MetricReader;
  /** Resolves once listening; rejects when the port cannot be bound. */
  ready: Promise<void>;
  /** The bound port (the configured one, or the picked one for port 0) once ready. */
  port(): number | undefined;
  close(): Promise<void>;
}

/**
 * Serves the SDK's metrics as Prometheus text on `GET /metrics`, on its own port, with
 * `service.name` and `deployment.environment.name` as labels on every series.
 */
export function prometheusEndpoint(port: number, host: string | undefined): PrometheusEndpoint {
  const reader = new ScrapeReader();
  const serializer = new PrometheusSerializer(
    '',
    false,
    /^(service\.name|deployment\.environment\.name)$/,
  );
  async function collect() {
    const result = await reader.collect();
    // Resource detectors may still be resolving (e.g. host.id); wait so labels are complete.
    await result.resourceMetrics.resource.waitForAsyncAttributes?.();
    return result;
  }

  const server: Server = createServer((request, response) => {
    const path = request.url?.split('?', 1)[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    collect().then(
      ({ resourceMetrics, errors }) => {
        for (const err of errors) diag.error('collecting metrics for Prometheus failed', err);
        response
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
          .end(serializer.serialize(withUnitSuffixes(resourceMetrics)));
      },
      (err: unknown) => {
        diag.error('collecting metrics for Prometheus failed', err);
        response.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics unavailable');
      },
    );
  });
  server.keepAliveTimeout = 65_000;

  const ready = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A rejection must not crash an app that never awaits `ready`; it is reported instead.
  ready.catch((err: unknown) => diag.error('Prometheus metrics endpoint did not start', err));

  return {
    reader,
    ready,
    port: () => (server.address() as AddressInfo | null)?.port,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
