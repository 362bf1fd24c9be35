import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

/** A reader that only collects on demand. */
class TestReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A meter provider whose points a test reads back by metric name, as of now. */
export function metricsCollector() {
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    async points(name: string): Promise<Array<{ value: number; attributes: object }>> {
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .find((m) => m.descriptor.name === name);
      return (metric?.dataPoints ?? []).map((p) => ({
        value: p.value as number,
        attributes: p.attributes,
      }));
    },
  };
}
