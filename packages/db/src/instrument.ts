import {
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { toDbError } from './errors.js';

const SCOPE = '@micro-app/db';

export interface DbInstruments {
  tracer: Tracer;
  duration: Histogram;
  namespace: string;
}

export function createInstruments(
  tracerProvider: TracerProvider | undefined,
  meterProvider: MeterProvider | undefined,
  namespace: string,
): DbInstruments {
  const tracer = (tracerProvider ?? trace).getTracer(SCOPE);
  const meter: Meter = (meterProvider ?? metrics).getMeter(SCOPE);
  const duration = meter.createHistogram('db.client.operation.duration', {
    unit: 's',
    description: 'Duration of database client operations.',
    advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] },
  });
  return { tracer, duration, namespace };
}

function operationName(query: string): string {
  const match = /^\s*(\w+)/.exec(query);
  return (match?.[1] ?? 'query').toUpperCase();
}

/**
 * Runs one query inside a client span named after its operation, records its duration, and turns
 * connection failures into `DbError('DB_UNAVAILABLE')`.
 */
export async function traced<T>(
  instruments: DbInstruments,
  query: string,
  run: () => PromiseLike<T>,
): Promise<T> {
  const operation = operationName(query);
  const attributes = {
    'db.system.name': 'postgresql',
    'db.namespace': instruments.namespace,
    'db.operation.name': operation,
  };
  return instruments.tracer.startActiveSpan(
    `${operation} ${instruments.namespace}`,
    { kind: SpanKind.CLIENT, attributes: { ...attributes, 'db.query.text': query } },
    async (span) => {
      const started = performance.now();
      try {
        return await run();
      } catch (err) {
        const mapped = toDbError(err);
        span.recordException(mapped as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (mapped as Error).message });
        throw mapped;
      } finally {
        instruments.duration.record((performance.now() - started) / 1000, attributes);
        span.end();
      }
    },
  );
}
