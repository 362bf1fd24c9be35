import {
  type Counter,
  type Meter,
  type MeterProvider,
  type MetricOptions,
  metrics,
} from '@opentelemetry/api';
import { TelemetryError } from '../errors.js';

/** Instrumentation scope of everything this package records. */
export const TELEMETRY_SCOPE = '@micro-app/telemetry';

// OpenTelemetry instrument name syntax: a letter, then up to 254 of [A-Za-z0-9_.-/].
const INSTRUMENT_NAME = /^[A-Za-z][\w.\-/]{0,254}$/;

/** Where an instrument comes from. */
export interface MeterOptions {
  /** Meter provider to use. Default: the global one `startTelemetry()` registered. */
  meterProvider?: MeterProvider | undefined;
  /** Instrumentation scope name, e.g. the app's name. Default: `'@micro-app/telemetry'`. */
  meterName?: string | undefined;
}

export interface CounterOptions extends MeterOptions {
  /** What is counted, shown by backends. Default: none. */
  description?: string | undefined;
  /** UCUM unit in braces for counts, e.g. `'{recommendation}'`. Default: none. */
  unit?: string | undefined;
}

/**
 * A meter for the app's own instruments. Call it after `startTelemetry()` (the metrics API has
 * no proxy: a meter taken before the SDK started stays a no-op).
 *
 * @param [options.meterProvider=global] provider to take the meter from
 * @param [options.meterName='@micro-app/telemetry'] instrumentation scope
 * @example
 * const meter = getMeter({ meterName: 'where2eat' });
 * const votes = meter.createHistogram('where2eat.votes', { unit: '{vote}' });
 */
export function getMeter(options: MeterOptions = {}): Meter {
  const provider = options.meterProvider ?? metrics.getMeterProvider();
  return provider.getMeter(options.meterName ?? TELEMETRY_SCOPE);
}

/**
 * A monotonic counter for business events, e.g. recommendations served. Exported like every
 * other metric: over OTLP and on the Prometheus endpoint (as `<name>_total`, dots turned to `_`).
 *
 * @param name OpenTelemetry instrument name, e.g. `'where2eat.recommendations'`
 * @param [options.description] what is counted
 * @param [options.unit] UCUM unit such as `'{recommendation}'`
 * @throws {TelemetryError} `TELEMETRY_INVALID_OPTIONS` when the name is not a valid instrument name
 * @example
 * const recommendations = counter('where2eat.recommendations', { unit: '{recommendation}' });
 * recommendations.add(1, { outcome: 'found' });
 */
export function counter(name: string, options: CounterOptions = {}): Counter {
  if (typeof name !== 'string' || !INSTRUMENT_NAME.test(name)) {
    throw new TelemetryError(
      'TELEMETRY_INVALID_OPTIONS',
      `counter name must start with a letter and use only letters, digits, '_', '.', '-', '/', got ${JSON.stringify(name)}`,
    );
  }
  const metricOptions: MetricOptions = {};
  if (options.description !== undefined) metricOptions.description = options.description;
  if (options.unit !== undefined) metricOptions.unit = options.unit;
  return getMeter(options).createCounter(name, metricOptions);
}
