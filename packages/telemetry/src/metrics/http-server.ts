import type { Histogram, MeterProvider } from '@opentelemetry/api';
import { getMeter } from './meter.js';

/**
 * Bucket boundaries (seconds) of `http.server.request.duration`: the ones the OpenTelemetry HTTP
 * semantic conventions recommend, plus `0.3` so a 300 ms latency SLO is an exact bucket edge.
 */
export const HTTP_SERVER_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.3, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** The semantic-convention HTTP server duration histogram (seconds). */
export function httpServerDurationHistogram(meterProvider?: MeterProvider): Histogram {
  return getMeter({ meterProvider }).createHistogram('http.server.request.duration', {
    description: 'Duration of HTTP server requests.',
    unit: 's',
    advice: { explicitBucketBoundaries: HTTP_SERVER_DURATION_BUCKETS },
  });
}
