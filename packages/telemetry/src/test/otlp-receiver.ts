import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** An OTLP/JSON attribute as the http/json exporters send it. */
export interface OtlpAttribute {
  key: string;
  value: {
    stringValue?: string;
    intValue?: number | string;
    doubleValue?: number;
    boolValue?: boolean;
    arrayValue?: { values: OtlpAttribute['value'][] };
  };
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
  status?: { code?: number };
  resource: Record<string, unknown>;
  scope: string;
}

export interface OtlpDataPoint {
  attributes: OtlpAttribute[];
  count?: number | string;
  asInt?: number | string;
  asDouble?: number;
  bucketCounts?: Array<number | string>;
  explicitBounds?: number[];
}

export interface OtlpMetric {
  name: string;
  unit?: string;
  scope: string;
  dataPoints: OtlpDataPoint[];
}

/** Flattens OTLP attributes to a plain object (ints as numbers, arrays as arrays). */
export function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const unwrap = (value: OtlpAttribute['value']): unknown => {
    if (value.stringValue !== undefined) return value.stringValue;
    if (value.intValue !== undefined) return Number(value.intValue);
    if (value.doubleValue !== undefined) return value.doubleValue;
    if (value.boolValue !== undefined) return value.boolValue;
    if (value.arrayValue) return value.arrayValue.values.map(unwrap);
    return undefined;
  };
  for (const { key, value } of list ?? []) out[key] = unwrap(value);
  return out;
}

interface TracesBody {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Omit<OtlpSpan, 'resource' | 'scope'>[];
    }>;
  }>;
}

interface MetricsBody {
  resourceMetrics?: Array<{
    scopeMetrics?: Array<{
      scope?: { name?: string };
      metrics?: Array<{
        name: string;
        unit?: string;
        histogram?: { dataPoints?: OtlpDataPoint[] };
        sum?: { dataPoints?: OtlpDataPoint[] };
        gauge?: { dataPoints?: OtlpDataPoint[] };
      }>;
    }>;
  }>;
}

/** An OTLP/HTTP receiver on 127.0.0.1 that keeps every JSON export it is sent. */
export interface OtlpReceiver {
  /** Base URL to use as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string;
  /** Every request received, any path. */
  requests: Array<{ path: string; contentType: string | undefined }>;
  spans(): OtlpSpan[];
  metrics(): OtlpMetric[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const traces: TracesBody[] = [];
  const metrics: MetricsBody[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const server = createServer(async (request, response) => {
    const path = request.url ?? '';
    const contentType = request.headers['content-type'];
    requests.push({ path, contentType });
    const body = await readBody(request);
    if (contentType?.startsWith('application/json')) {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (path === '/v1/traces') traces.push(parsed as TracesBody);
      if (path === '/v1/metrics') metrics.push(parsed as MetricsBody);
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans: () =>
      traces.flatMap((body) =>
        (body.resourceSpans ?? []).flatMap((rs) =>
          (rs.scopeSpans ?? []).flatMap((ss) =>
            (ss.spans ?? []).map((span) => ({
              ...span,
              resource: attributes(rs.resource?.attributes),
              scope: ss.scope?.name ?? '',
            })),
          ),
        ),
      ),
    metrics: () =>
      metrics.flatMap((body) =>
        (body.resourceMetrics ?? []).flatMap((rm) =>
          (rm.scopeMetrics ?? []).flatMap((sm) =>
            (sm.metrics ?? []).map((metric) => ({
              name: metric.name,
              unit: metric.unit,
              scope: sm.scope?.name ?? '',
              dataPoints:
                metric.histogram?.dataPoints ??
                metric.sum?.dataPoints ??
                metric.gauge?.dataPoints ??
                [],
            })),
          ),
        ),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
