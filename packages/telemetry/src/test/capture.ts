import { Writable } from 'node:stream';
import {
  AggregationTemporality,
  type HistogramMetricData,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';

/** A pino destination that keeps every line, parsed. */
export function captureLines(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { stream, lines };
}

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** An in-process meter provider whose metrics a test can read back. */
export function collectingMeterProvider(): {
  meterProvider: MeterProvider;
  collect(): Promise<MetricData[]>;
  /** Instrument name to instrumentation scope name, from the last collect. */
  scopes(): Record<string, string>;
  histogramPoints(
    name: string,
  ): Array<{ attributes: Record<string, unknown>; count: number; sum: number }>;
} {
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  let last: MetricData[] = [];
  let scopes: Record<string, string> = {};
  return {
    meterProvider,
    async collect() {
      const { resourceMetrics } = await reader.collect();
      last = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
      scopes = {};
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) scopes[metric.descriptor.name] = scope.scope.name;
      }
      return last;
    },
    scopes: () => scopes,
    histogramPoints(name) {
      const metric = last.find((m) => m.descriptor.name === name) as
        | HistogramMetricData
        | undefined;
      return (metric?.dataPoints ?? []).map((point) => ({
        attributes: { ...point.attributes },
        count: point.value.count,
        sum: point.value.sum ?? 0,
      }));
    },
  };
}
