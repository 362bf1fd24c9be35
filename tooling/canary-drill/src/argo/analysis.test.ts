import { describe, expect, it } from 'vitest';
import { type AnalysisMetric, measure, prepareMetric } from './analysis.ts';
import { CanaryDrillError } from './errors.ts';
import { prometheusQuery, sampleValue } from './prometheus.ts';
import { runAnalysis, substituteArgs } from './run.ts';

const metric = (fields: Partial<AnalysisMetric> = {}): AnalysisMetric => ({
  name: 'burn',
  interval: '1m',
  successCondition: 'result[0] <= 6',
  failureCondition: 'result[0] > 6',
  provider: { prometheus: { query: 'up' } },
  ...fields,
});

const ok = (...values: number[]) => ({ ok: true as const, result: values });

describe('measure (Argo EvaluateResult)', () => {
  const both = prepareMetric(metric());
  const successOnly = prepareMetric(metric({ failureCondition: undefined }));
  const failureOnly = prepareMetric(metric({ successCondition: undefined }));
  const none = prepareMetric(metric({ successCondition: undefined, failureCondition: undefined }));

  it('is Successful or Failed by the conditions', () => {
    expect(measure(both, ok(0.5)).phase).toBe('Successful');
    expect(measure(both, ok(7)).phase).toBe('Failed');
    expect(measure(both, ok(0.5)).value).toBe('[0.5]');
  });

  it('is Inconclusive on NaN with both conditions, Failed with only a success condition', () => {
    expect(measure(both, ok(Number.NaN)).phase).toBe('Inconclusive');
    expect(measure(successOnly, ok(Number.NaN)).phase).toBe('Failed');
    expect(measure(failureOnly, ok(Number.NaN)).phase).toBe('Successful');
  });

  it('is Error on an empty result (result[0] fails) and on a failed query', () => {
    expect(measure(both, ok()).phase).toBe('Error');
    expect(measure(both, ok()).value).toMatch(/index out of range/);
    expect(measure(both, { ok: false, error: 'connection refused' })).toEqual({
      phase: 'Error',
      value: 'connection refused',
    });
  });

  it('is Successful without conditions unless the query erred', () => {
    expect(measure(none, ok()).phase).toBe('Successful');
    expect(measure(none, { ok: false, error: 'x' }).phase).toBe('Error');
  });

  it('refuses fields and providers it does not implement', () => {
    expect(() => prepareMetric({ ...metric(), dryRun: true } as AnalysisMetric)).toThrow(
      CanaryDrillError,
    );
    expect(() => prepareMetric(metric({ provider: { web: {} } as never }))).toThrow(/prometheus/);
  });
});

/** Runs with a query that answers the given outcomes in turn, in compressed time. */
function drive(
  m: AnalysisMetric,
  outcomes: Array<ReturnType<typeof ok> | { ok: false; error: string }>,
  rolloutMs = 12 * 60_000,
) {
  let i = 0;
  return runAnalysis({
    metrics: [m],
    query: async () => outcomes[Math.min(i++, outcomes.length - 1)] as never,
    rolloutMs,
    sleep: async () => {},
  });
}

describe('runAnalysis (Argo assessMetricStatus and the run)', () => {
  it('is Successful when the rollout ends with every measurement good', async () => {
    const run = await drive(metric(), [ok(0.1)]);
    expect(run.phase).toBe('Successful');
    expect(run.metrics[0]?.count).toBe(12);
  });

  it('fails once failures exceed failureLimit, and not before', async () => {
    const one = await drive(metric({ failureLimit: 1 }), [ok(9), ok(0.1), ok(0.1)]);
    expect(one.phase).toBe('Successful');
    const two = await drive(metric({ failureLimit: 1 }), [ok(9), ok(0.1), ok(9)]);
    expect(two.phase).toBe('Failed');
    expect(two.metrics[0]?.measurements).toHaveLength(3);
    const unlimited = await drive(metric({ failureLimit: -1 }), [ok(9)]);
    expect(unlimited.phase).toBe('Successful');
  });

  it('is Inconclusive past inconclusiveLimit (default 0)', async () => {
    expect((await drive(metric(), [ok(Number.NaN)])).phase).toBe('Inconclusive');
    const tolerant = await drive(metric({ inconclusiveLimit: 2 }), [ok(Number.NaN), ok(1)]);
    expect(tolerant.phase).toBe('Successful');
  });

  it('errs after more than 4 consecutive errors; a good measurement resets the streak', async () => {
    const empty = await drive(metric(), [ok()]);
    expect(empty.phase).toBe('Error');
    expect(empty.metrics[0]?.measurements).toHaveLength(5);
    const recovered = await drive(metric(), [
      ok(),
      ok(),
      ok(),
      ok(),
      ok(1),
      ok(),
      ok(),
      ok(),
      ok(),
      ok(1),
    ]);
    expect(recovered.phase).toBe('Successful');
    const strict = await drive(metric({ consecutiveErrorLimit: 0 }), [ok()]);
    expect(strict.metrics[0]?.measurements).toHaveLength(1);
    expect(strict.phase).toBe('Error');
  });

  it('treats a run terminated with only errors so far as Successful, as Argo does', async () => {
    // 3 intervals of rollout, 3 empty results: below the error limit when the rollout ends.
    const short = await drive(metric(), [ok()], 3 * 60_000);
    expect(short.phase).toBe('Successful');
    expect(short.metrics[0]?.error).toBe(3);
  });

  it('stops at count, and Error measurements do not count', async () => {
    const counted = await drive(metric({ count: 3 }), [ok(), ok(1), ok(1), ok(1), ok(9)]);
    expect(counted.phase).toBe('Successful');
    expect(counted.metrics[0]?.count).toBe(3);
    expect(counted.metrics[0]?.measurements).toHaveLength(4);
  });

  it('terminates the run when one metric fails: the others end Successful', async () => {
    let calls = 0;
    const run = await runAnalysis({
      metrics: [
        metric({ name: 'a' }),
        metric({ name: 'b', provider: { prometheus: { query: 'b' } } }),
      ],
      query: async (m) => {
        calls++;
        return m.provider.prometheus?.query === 'b' ? ok(9) : ok(1);
      },
      rolloutMs: 12 * 60_000,
      sleep: async () => {},
    });
    expect(run.phase).toBe('Failed');
    expect(run.metrics.map((m) => m.phase)).toEqual(['Successful', 'Failed']);
    // failureLimit 0: the first failure of b ends the run, after one measurement of each.
    expect(calls).toBe(2);
  });

  it('waits initialDelay and the interval in compressed time', async () => {
    const waits: number[] = [];
    await runAnalysis({
      metrics: [metric({ initialDelay: '30s', count: 3 })],
      query: async () => ok(1),
      rolloutMs: 12 * 60_000,
      timeScale: 30,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(waits).toEqual([1_000, 2_000, 2_000]);
  });
});

describe('substituteArgs', () => {
  const spec = {
    args: [{ name: 'canary-hash' }, { name: 'ns', value: 'shop' }],
    metrics: [
      metric({
        provider: { prometheus: { query: 'x{h="{{args.canary-hash}}",n="{{ args.ns }}"}' } },
      }),
    ],
  };

  it('fills args from the given values and the template defaults', () => {
    const [m] = substituteArgs(spec, { 'canary-hash': '6d4f8' });
    expect(m?.provider.prometheus?.query).toBe('x{h="6d4f8",n="shop"}');
  });

  it('refuses an arg without a value and an unknown placeholder', () => {
    expect(() => substituteArgs(spec, {})).toThrow(/canary-hash has no value/);
    const other = { ...spec, metrics: [metric({ successCondition: '{{workflow.name}}' })] };
    expect(() => substituteArgs(other, { 'canary-hash': 'a' })).toThrow(/unknown placeholder/);
  });
});

describe('prometheusQuery (Argo Prometheus provider binding)', () => {
  const answer = (body: unknown) =>
    (async () => new Response(JSON.stringify(body))) as typeof fetch;

  it('binds a vector as the list of its values, an empty one as []', async () => {
    const vector = await prometheusQuery(
      'http://p',
      'q',
      answer({
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.25'] }] },
      }),
    );
    expect(vector).toEqual({ ok: true, result: [0.25] });
    const empty = await prometheusQuery(
      'http://p',
      'q',
      answer({ status: 'success', data: { resultType: 'vector', result: [] } }),
    );
    expect(empty).toEqual({ ok: true, result: [] });
  });

  it('binds a scalar as a number and parses NaN and infinities', async () => {
    const scalar = await prometheusQuery(
      'http://p',
      'q',
      answer({ status: 'success', data: { resultType: 'scalar', result: [1, 'NaN'] } }),
    );
    expect(scalar.ok && Number.isNaN(scalar.result as number)).toBe(true);
    expect(sampleValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(sampleValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
  });

  it('is an Error outcome for query errors and matrices', async () => {
    const bad = await prometheusQuery(
      'http://p',
      'q(',
      answer({ status: 'error', error: 'parse error' }),
    );
    expect(bad).toEqual({ ok: false, error: 'Prometheus answered error: parse error' });
    const matrix = await prometheusQuery(
      'http://p',
      'q[1m]',
      answer({ status: 'success', data: { resultType: 'matrix', result: [] } }),
    );
    expect(matrix.ok).toBe(false);
  });
});
