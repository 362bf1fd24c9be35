import {
  type AnalysisMetric,
  type AnalysisPhase,
  assess,
  durationMs,
  type MetricTally,
  measure,
  newTally,
  prepareMetric,
  type QueryOutcome,
  record,
  worst,
} from './analysis.ts';
import { CanaryDrillError } from './errors.ts';

export interface AnalysisTemplateSpec {
  args?: Array<{ name: string; value?: string }>;
  metrics: AnalysisMetric[];
}

/**
 * Replaces `{{args.name}}` (spaces allowed inside the braces) everywhere in the metrics, as Argo
 * does when it creates the AnalysisRun.
 *
 * @throws {CanaryDrillError} `ARG_MISSING` when an arg has no value or a placeholder is unknown
 */
export function substituteArgs(
  spec: AnalysisTemplateSpec,
  values: Record<string, string>,
): AnalysisMetric[] {
  const args = new Map<string, string | undefined>(
    (spec.args ?? []).map((arg) => [arg.name, values[arg.name] ?? arg.value]),
  );
  const text = JSON.stringify(spec.metrics).replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_m, name) => {
    const key = /^args\.(.+)$/.exec(name)?.[1];
    if (!key || !args.has(key)) {
      throw new CanaryDrillError('ARG_MISSING', `unknown placeholder {{${name}}} in the template`);
    }
    const value = args.get(key);
    if (value === undefined) throw new CanaryDrillError('ARG_MISSING', `arg ${key} has no value`);
    return JSON.stringify(value).slice(1, -1);
  });
  return JSON.parse(text) as AnalysisMetric[];
}

export interface RunOptions {
  metrics: AnalysisMetric[];
  /** Runs a metric's query now (Argo's Prometheus provider). */
  query: (metric: AnalysisMetric) => Promise<QueryOutcome>;
  /**
   * How long the rollout runs the background analysis before it is done and terminates the run,
   * in the template's time (e.g. the Rollout's pauses from startingStep: 12 min).
   */
  rolloutMs: number;
  /** Divides every template duration: 30 turns `interval: 1m` into 2 s. Default 1. */
  timeScale?: number;
  /** Called after each measurement. */
  onMeasurement?: (tally: MetricTally) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface RunResult {
  phase: Exclude<AnalysisPhase, 'Running'>;
  metrics: MetricTally[];
  /** Wall time the compressed run took. */
  elapsedMs: number;
}

/**
 * Runs an AnalysisRun as Argo's controller does for a background canary analysis: each metric is
 * measured every `interval` (after `initialDelay`) until it completes; once any metric completes
 * unsuccessfully the run terminates (the others turn Successful, as Argo's terminating
 * assessment does), and when the rollout is done (`rolloutMs`) the run terminates too. The phase
 * is the worst metric phase.
 */
export async function runAnalysis(options: RunOptions): Promise<RunResult> {
  const { metrics, query, rolloutMs, timeScale = 1, onMeasurement } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const prepared = metrics.map(prepareMetric);
  const tallies = metrics.map((metric) => newTally(metric.name));
  // Template time of each metric's next measurement.
  const next = metrics.map((metric) => durationMs(metric.initialDelay ?? '0s'));
  const intervals = metrics.map((metric) => {
    if (metric.interval) return durationMs(metric.interval);
    if (metric.count === undefined || metric.count <= 1) return Number.POSITIVE_INFINITY;
    throw new CanaryDrillError(
      'TEMPLATE_UNSUPPORTED',
      `metric ${metric.name}: count > 1 needs an interval`,
    );
  });
  const started = Date.now();
  let now = 0;
  let terminating = false;
  while (true) {
    const due = metrics
      .map((_, i) => i)
      .filter((i) => tallies[i]?.phase === 'Running' && (next[i] ?? 0) <= now);
    await Promise.all(
      due.map(async (i) => {
        const metric = metrics[i] as AnalysisMetric;
        const tally = tallies[i] as MetricTally;
        record(tally, measure(prepared[i] as (typeof prepared)[number], await query(metric)));
        next[i] = now + (intervals[i] as number);
        tally.phase = assess(metric, tally, false);
        onMeasurement?.(tally);
      }),
    );
    terminating = tallies.some((t) => t.phase !== 'Running' && t.phase !== 'Successful');
    const upcoming = Math.min(
      ...tallies.map((t, i) => (t.phase === 'Running' ? (next[i] as number) : Infinity)),
    );
    if (terminating || upcoming === Infinity || upcoming >= rolloutMs) break;
    await sleep((upcoming - now) / timeScale);
    now = upcoming;
  }
  for (const [i, tally] of tallies.entries()) {
    if (tally.phase === 'Running') tally.phase = assess(metrics[i] as AnalysisMetric, tally, true);
  }
  const phase = worst(tallies.map((t) => t.phase)) as RunResult['phase'];
  return { phase, metrics: tallies, elapsedMs: Date.now() - started };
}
