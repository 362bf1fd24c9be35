// Loaded with `node --import ./dist/instrumentation.js` so OpenTelemetry patches http, fetch and
// ioredis before anything else is imported. With no OTEL_EXPORTER_OTLP_ENDPOINT and no
// METRICS_PORT nothing is exported, and nothing errors.
import { startTelemetry } from '@micro-app/telemetry';
import { CATALOG } from './catalog.js';
import { appVersion, loadConfigOrExit } from './runtime.js';

const config = loadConfigOrExit();

export const telemetry = startTelemetry({
  service: {
    name: CATALOG.appId,
    version: appVersion(),
    environment: config.DEPLOY_ENV,
    appId: CATALOG.appId,
    team: CATALOG.team,
    costCenter: CATALOG.costCenter,
  },
  // When Prometheus scrapes the pod, metrics are not pushed over OTLP as well.
  otlp: config.OTEL_EXPORTER_OTLP_ENDPOINT
    ? {
        protocol: config.OTEL_EXPORTER_OTLP_PROTOCOL,
        metrics: config.METRICS_PORT === undefined,
        metricExportIntervalMs: config.OTEL_METRIC_EXPORT_INTERVAL,
      }
    : false,
  ...(config.METRICS_PORT ? { prometheusPort: config.METRICS_PORT } : {}),
  ...(config.TRACES_SAMPLE_RATIO === undefined ? {} : { sampleRatio: config.TRACES_SAMPLE_RATIO }),
});
