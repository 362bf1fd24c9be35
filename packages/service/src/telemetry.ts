import { type ServiceInfo, startTelemetry, type Telemetry } from '@micro-app/telemetry';
import type { ServiceConfig } from './config.js';

// Its own entry point: the module an app loads with `node --import` must import nothing that
// OpenTelemetry patches (http, ioredis) before the SDK starts, so it cannot pull in the rest.

/**
 * Starts OpenTelemetry from the shared variables. Call it in the module the process loads with
 * `node --import` first, so http, fetch and ioredis are patched before anything imports them.
 * With no OTEL_EXPORTER_OTLP_ENDPOINT and no METRICS_PORT nothing is exported.
 */
export function startServiceTelemetry(
  service: ServiceInfo,
  config: Pick<
    ServiceConfig,
    | 'OTEL_EXPORTER_OTLP_ENDPOINT'
    | 'OTEL_EXPORTER_OTLP_PROTOCOL'
    | 'OTEL_METRIC_EXPORT_INTERVAL'
    | 'METRICS_PORT'
    | 'TRACES_SAMPLE_RATIO'
  >,
): Telemetry {
  return startTelemetry({
    service,
    // When Prometheus scrapes the pod, metrics are not pushed over OTLP as well.
    otlp: config.OTEL_EXPORTER_OTLP_ENDPOINT
      ? {
          protocol: config.OTEL_EXPORTER_OTLP_PROTOCOL,
          metrics: config.METRICS_PORT === undefined,
          metricExportIntervalMs: config.OTEL_METRIC_EXPORT_INTERVAL,
        }
      : false,
    ...(config.METRICS_PORT ? { prometheusPort: config.METRICS_PORT } : {}),
    ...(config.TRACES_SAMPLE_RATIO === undefined
      ? {}
      : { sampleRatio: config.TRACES_SAMPLE_RATIO }),
  });
}
