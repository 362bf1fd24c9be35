import {
  type Condition,
  ConditionRuntimeError,
  evaluateCondition,
  type MetricResult,
  parseCondition,
} from './condition.ts';
import { CanaryDrillError } from './errors.ts';

/** Phases of a measurement, a metric and a run, as Argo Rollouts names them. */
export type AnalysisPhase = 'Running' | 'Successful' | 'Failed' | 'Error' | 'Inconclusive';

/** The fields of an AnalysisTemplate metric this evaluator reads (the rest are refused). */
export interface AnalysisMetric {
  name: string;
  interval?: string;
  initialDelay?: string;
  count?: number;
  failureLimit?: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit?: number;
  successCondition?: string;
  failureCondition?: string;
  provider: { prometheus?: { address?: string; query: string } };
}

/** Argo's default: a metric errs after more than 4 Error measurements in a row. */
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;

const KNOWN_FIELDS = new Set([
  'name',
  'interval',
  'initialDelay',
  'count',
  'failureLimit',
  'inconclusiveLimit',
  'consecutiveErrorLimit',
  'successCondition',
  'failureCondition',
  'provider',
]);

/** A metric with its conditions parsed: refuses unknown fields and non-Prometheus providers. */
export interface PreparedMetric {
  metric: AnalysisMetric;
  success: Condition | undefined;
  failure: Condition | undefined;
}

/**
 * Checks a metric and parses its conditions.
 *
 * @throws {CanaryDrillError} `TEMPLATE_UNSUPPORTED` for fields or providers the drill does not
 *   implement (dryRun, web, job …), `CONDITION_UNSUPPORTED` for conditions it cannot parse
 */
export function prepareMetric(metric: AnalysisMetric): PreparedMetric {
  const unknown = Object.keys(metric).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0) {
    throw new CanaryDrillError(
      'TEMPLATE_UNSUPPORTED',
      `metric ${metric.name}: the drill does not implement ${unknown.join(', ')}`,
    );
  }
  const providers = Object.keys(metric.provider ?? {});
  if (providers.length !== 1 || !metric.provider.prometheus?.query) {
    throw new CanaryDrillError(
      'TEMPLATE_UNSUPPORTED',
      `metric ${metric.name}: only a prometheus provider with a query is implemented, got ${providers.join(', ') || 'none'}`,
    );
  }
  return {
    metric,
    success: metric.successCondition ? parseCondition(metric.successCondition) : undefined,
    failure: metric.failureCondition ? parseCondition(metric.failureCondition) : undefined,
  };
}

/** What one measurement gave: a value or why it erred. */
export type QueryOutcome = { ok: true; result: MetricResult } | { ok: false; error: string };

export interface Measurement {
  phase: Exclude<AnalysisPhase, 'Running'>;
  /** The value as Argo prints it (`[0.5]`), or the error message. */
  value: string;
}

function show(result: MetricResult): string {
  return Array.isArray(result) ? `[${result.join(',')}]` : String(result);
}

/**
 * Argo's `EvaluateResult`: both conditions are evaluated; with only a success condition, not
 * success is failure; with only a failure condition, not failure is success; with both, neither
 * true is Inconclusive; failure wins over success. A condition that errs makes the measurement
 * Error, as does a query that erred.
 */
export function measure(prepared: PreparedMetric, outcome: QueryOutcome): Measurement {
  if (!outcome.ok) return { phase: 'Error', value: outcome.error };
  const { success, failure } = prepared;
  let succeeded = false;
  let failed = false;
  try {
    if (success) succeeded = evaluateCondition(success, outcome.result);
    if (failure) failed = evaluateCondition(failure, outcome.result);
  } catch (err) {
    if (!(err instanceof ConditionRuntimeError)) throw err;
    return { phase: 'Error', value: `${show(outcome.result)}: ${err.message}` };
  }
  const value = show(outcome.result);
  if (!success && !failure) return { phase: 'Successful', value };
  if (success && !failure) failed = !succeeded;
  if (!success && failure) succeeded = !failed;
  if (failed) return { phase: 'Failed', value };
  if (!succeeded) return { phase: 'Inconclusive', value };
  return { phase: 'Successful', value };
}

/** Counters of one metric's measurements, as Argo keeps them in `MetricResult`. */
export interface MetricTally {
  name: string;
  phase: AnalysisPhase;
  /** Measurements that completed (Error ones are retried and do not count). */
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveError: number;
  measurements: Measurement[];
}

export function newTally(name: string): MetricTally {
  return {
    name,
    phase: 'Running',
    count: 0,
    successful: 0,
    failed: 0,
    inconclusive: 0,
    error: 0,
    consecutiveError: 0,
    measurements: [],
  };
}

/** Adds a measurement to the counters (Argo's `runMeasurements`). */
export function record(tally: MetricTally, measurement: Measurement): void {
  tally.measurements.push(measurement);
  if (measurement.phase === 'Error') {
    tally.error++;
    tally.consecutiveError++;
    return;
  }
  tally.count++;
  tally.consecutiveError = 0;
  if (measurement.phase === 'Successful') tally.successful++;
  else if (measurement.phase === 'Failed') tally.failed++;
  else tally.inconclusive++;
}

/**
 * Argo's `assessMetricStatus`: Failed past `failureLimit` (default 0; negative: no limit),
 * Inconclusive past `inconclusiveLimit` (default 0), Error past `consecutiveErrorLimit` (default
 * 4), Successful once `count` measurements are in. A metric without `count` runs until the run is
 * terminated (the rollout finished): then it is Successful, even with no measurement at all.
 */
export function assess(
  metric: AnalysisMetric,
  tally: MetricTally,
  terminating: boolean,
): AnalysisPhase {
  if (tally.measurements.length === 0) return terminating ? 'Successful' : 'Running';
  const failureLimit = metric.failureLimit ?? 0;
  if (failureLimit >= 0 && tally.failed > failureLimit) return 'Failed';
  if (tally.inconclusive > (metric.inconclusiveLimit ?? 0)) return 'Inconclusive';
  const errorLimit = metric.consecutiveErrorLimit ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT;
  if (tally.consecutiveError > errorLimit) return 'Error';
  if (metric.count !== undefined && tally.count >= metric.count) return 'Successful';
  return terminating ? 'Successful' : 'Running';
}

const RANK: Record<AnalysisPhase, number> = {
  Running: 0,
  Successful: 1,
  Inconclusive: 2,
  Error: 3,
  Failed: 4,
};

/** The run's phase: the worst of its metrics (Failed > Error > Inconclusive > Successful). */
export function worst(phases: AnalysisPhase[]): AnalysisPhase {
  return phases.reduce<AnalysisPhase>((a, b) => (RANK[b] > RANK[a] ? b : a), 'Successful');
}

/** An Argo duration (`30s`, `1m`, `2h`, `500ms`) in milliseconds. */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!match) {
    throw new CanaryDrillError('TEMPLATE_UNSUPPORTED', `duration "${text}" is not <n>(ms|s|m|h)`);
  }
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
