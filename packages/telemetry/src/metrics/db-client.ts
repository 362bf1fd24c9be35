import type { Attributes, Histogram } from '@opentelemetry/api';
import { TelemetryError } from '../errors.js';
import { getMeter, type MeterOptions } from './meter.js';

/** Bucket boundaries (seconds) the OpenTelemetry database semantic conventions recommend. */
export const DB_CLIENT_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

export interface DbClientMetricsOptions extends MeterOptions {
  /** `db.system.name`, e.g. `'postgresql'`. Default: `'postgresql'`. */
  system?: string | undefined;
  /** `db.namespace`: the database name. Default: not set. */
  namespace?: string | undefined;
}

/** Low-cardinality description of one database operation. */
export interface DbOperation {
  /** `db.operation.name`, e.g. `'SELECT'`, `'INSERT'` (never the query text). */
  operation: string;
  /** `db.collection.name`: the main table, when known. */
  collection?: string | undefined;
}

/** Records `db.client.operation.duration` (histogram, seconds). */
export interface DbClientMetrics {
  /** Records one finished operation; pass `errorType` (e.g. the error's `code`) when it failed. */
  record(durationSeconds: number, operation: DbOperation, errorType?: string): void;
  /** Runs `fn`, records its duration (with `error.type` when it throws) and returns or rethrows. */
  measure<T>(operation: DbOperation, fn: () => Promise<T>): Promise<T>;
}

/**
 * The `db.client.operation.duration` histogram for a database client (the db package or the app
 * records into it; spans are theirs to create with `@opentelemetry/api`).
 *
 * @param [options.system='postgresql'] `db.system.name`
 * @param [options.namespace] `db.namespace`
 * @param [options.meterProvider=global] provider to record into
 * @throws {TelemetryError} `TELEMETRY_INVALID_OPTIONS` when `system` is empty
 * @example
 * const dbMetrics = dbClientMetrics({ namespace: 'where2eat' });
 * const rows = await dbMetrics.measure({ operation: 'SELECT', collection: 'groups' }, () => query());
 */
export function dbClientMetrics(options: DbClientMetricsOptions = {}): DbClientMetrics {
  const { system = 'postgresql', namespace } = options;
  if (typeof system !== 'string' || system === '') {
    throw new TelemetryError('TELEMETRY_INVALID_OPTIONS', 'system must be a non-empty string');
  }
  const histogram: Histogram = getMeter(options).createHistogram('db.client.operation.duration', {
    description: 'Duration of database client operations.',
    unit: 's',
    advice: { explicitBucketBoundaries: DB_CLIENT_DURATION_BUCKETS },
  });

  function record(durationSeconds: number, operation: DbOperation, errorType?: string): void {
    const attributes: Attributes = {
      'db.system.name': system,
      'db.operation.name': operation.operation,
    };
    if (namespace !== undefined) attributes['db.namespace'] = namespace;
    if (operation.collection !== undefined) attributes['db.collection.name'] = operation.collection;
    if (errorType !== undefined) attributes['error.type'] = errorType;
    histogram.record(durationSeconds, attributes);
  }

  return {
    record,
    async measure(operation, fn) {
      const startedAt = performance.now();
      try {
        const result = await fn();
        record((performance.now() - startedAt) / 1000, operation);
        return result;
      } catch (err) {
        record((performance.now() - startedAt) / 1000, operation, errorTypeOf(err));
        throw err;
      }
    },
  };
}

function errorTypeOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return '_OTHER';
}
