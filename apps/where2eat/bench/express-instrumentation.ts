/**
 * The Express row's OpenTelemetry, set up as the OpenTelemetry docs show Express users: the Node
 * SDK with the `node:http` and Express instrumentations, exporting spans and metrics over
 * OTLP/protobuf (OTEL_EXPORTER_OTLP_ENDPOINT, the bench's receiver) with the batch span
 * processor; the service name comes from OTEL_SERVICE_NAME. Loaded with `node --import` before `bench/server.ts express`, as where2eat loads its
 * own `dist/instrumentation.js`.
 */
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';

// Express is loaded with require, so require-in-the-middle patches it; the server spans come
// from the patched http.Server prototype. No ES module loader hook is needed.
new NodeSDK({
  spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  metricReaders: [
    new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter(),
      exportIntervalMillis: 60_000,
    }),
  ],
  instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()],
}).start();
