import type { SumMetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { TelemetryError } from '../errors.js';
import { collectingMeterProvider } from '../test/capture.js';
import { DB_CLIENT_DURATION_BUCKETS, dbClientMetrics } from './db-client.js';
import { counter, getMeter, TELEMETRY_SCOPE } from './meter.js';

describe('counter', () => {
  it('counts into the given meter provider with its attributes', async () => {
    const metrics = collectingMeterProvider();
    const recommendations = counter('where2eat.recommendations', {
      meterProvider: metrics.meterProvider,
      unit: '{recommendation}',
      description: 'Recommendations served.',
    });

    recommendations.add(1, { outcome: 'found' });
    recommendations.add(2, { outcome: 'found' });
    recommendations.add(1, { outcome: 'none' });

    const [metric] = (await metrics.collect()) as SumMetricData[];
    expect(metric?.descriptor).toMatchObject({
      name: 'where2eat.recommendations',
      unit: '{recommendation}',
      description: 'Recommendations served.',
    });
    expect(metric?.dataPoints.map((p) => [p.attributes.outcome, p.value])).toEqual([
      ['found', 3],
      ['none', 1],
    ]);
  });

  it('rejects names that are not OpenTelemetry instrument names', () => {
    expect(() => counter('1st-counter')).toThrow(TelemetryError);
    expect(() => counter('has space')).toThrow(/counter name/);
    expect(() => counter('')).toThrow(
      expect.objectContaining({ code: 'TELEMETRY_INVALID_OPTIONS' }),
    );
  });
});

describe('getMeter', () => {
  it('takes the meter from the given provider, under the package scope unless named', async () => {
    const metrics = collectingMeterProvider();
    getMeter({ meterProvider: metrics.meterProvider }).createCounter('a.b').add(1);
    getMeter({ meterProvider: metrics.meterProvider, meterName: 'where2eat' })
      .createCounter('c.d')
      .add(1);

    await metrics.collect();

    expect(metrics.scopes()).toEqual({ 'a.b': TELEMETRY_SCOPE, 'c.d': 'where2eat' });
  });
});

describe('dbClientMetrics', () => {
  it('records db.client.operation.duration with semantic-convention attributes', async () => {
    const metrics = collectingMeterProvider();
    const db = dbClientMetrics({ meterProvider: metrics.meterProvider, namespace: 'where2eat' });

    const rows = await db.measure({ operation: 'SELECT', collection: 'groups' }, async () => [
      1, 2,
    ]);
    const failure = Object.assign(new Error('duplicate key'), { code: '23505' });
    await expect(
      db.measure({ operation: 'INSERT', collection: 'groups' }, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    db.record(0.002, { operation: 'DELETE' }, 'TimeoutError');

    expect(rows).toEqual([1, 2]);
    await metrics.collect();
    const points = metrics.histogramPoints('db.client.operation.duration');
    expect(points.map((p) => p.attributes)).toEqual([
      {
        'db.system.name': 'postgresql',
        'db.operation.name': 'SELECT',
        'db.namespace': 'where2eat',
        'db.collection.name': 'groups',
      },
      {
        'db.system.name': 'postgresql',
        'db.operation.name': 'INSERT',
        'db.namespace': 'where2eat',
        'db.collection.name': 'groups',
        'error.type': '23505',
      },
      {
        'db.system.name': 'postgresql',
        'db.operation.name': 'DELETE',
        'db.namespace': 'where2eat',
        'error.type': 'TimeoutError',
      },
    ]);
    expect(points.every((p) => p.count === 1 && p.sum < 1)).toBe(true);
    expect(DB_CLIENT_DURATION_BUCKETS[0]).toBe(0.001);
  });

  it('rejects an empty system name', () => {
    expect(() => dbClientMetrics({ system: '' })).toThrow(TelemetryError);
  });
});
