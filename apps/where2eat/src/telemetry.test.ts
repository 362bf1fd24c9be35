import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevIdp, startDevIdp } from '@micro-app/dev-idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startedProcesses, startMain } from './test/main-process.js';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: OtlpAttribute[];
}

/** A real OTLP/HTTP (JSON) receiver: what a collector would get from the running app. */
function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const metricNames = new Set<string>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const payload = JSON.parse(body || '{}');
      if (req.url === '/v1/traces') {
        for (const rs of payload.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      }
      if (req.url === '/v1/metrics') {
        for (const rm of payload.resourceMetrics ?? [])
          for (const sm of rm.scopeMetrics ?? [])
            for (const m of sm.metrics ?? []) metricNames.add(m.name);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  return { server, spans, metricNames };
}

const attr = (span: OtlpSpan, key: string) =>
  span.attributes?.find((a) => a.key === key)?.value.stringValue;

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${what} arrived at the OTLP receiver within 10 s`);
}

describe('telemetry from the running where2eat', () => {
  const receiver = otlpReceiver();
  let idp: DevIdp;
  let dataDir: string;

  beforeAll(async () => {
    receiver.server.listen(0, '127.0.0.1');
    await once(receiver.server, 'listening');
    idp = await startDevIdp({ port: 0 });
    dataDir = await mkdtemp(join(tmpdir(), 'where2eat-otel-'));
  });
  afterAll(async () => {
    for (const child of startedProcesses) if (child.exitCode === null) child.kill('SIGKILL');
    receiver.server.close();
    await idp.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('exports a server span with the route, a db child span, the trace id in the log line and the duration histogram', async () => {
    const { port } = receiver.server.address() as AddressInfo;
    const app = await startMain({
      AUTH_ISSUER: idp.issuer,
      DATA_DIR: dataDir,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '300',
    });
    const headers = {
      Authorization: `Bearer ${await idp.getUserToken('alice')}`,
      'Content-Type': 'application/json',
    };
    const created = await fetch(`${app.url}/v1/groups`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Traced' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const res = await fetch(`${app.url}/v1/groups/${id}/recommendation`, { headers });
    expect(res.status).toBe(200);

    const server = await until(
      () =>
        receiver.spans.find((s) => attr(s, 'http.route') === '/v1/groups/:groupId/recommendation'),
      'recommendation server span',
    );
    expect(server.name).toBe('GET /v1/groups/:groupId/recommendation');

    const dbSpan = await until(
      () =>
        receiver.spans.find(
          (s) => s.traceId === server.traceId && attr(s, 'db.system.name') === 'postgresql',
        ),
      'db span in the request trace',
    );
    // The db span hangs under the server span (directly or through the handler's spans).
    const byId = new Map(receiver.spans.map((s) => [s.spanId, s]));
    let parent = dbSpan.parentSpanId ? byId.get(dbSpan.parentSpanId) : undefined;
    while (parent && parent.spanId !== server.spanId) {
      parent = parent.parentSpanId ? byId.get(parent.parentSpanId) : undefined;
    }
    expect(parent?.spanId).toBe(server.spanId);

    const line = app.logs.find(
      (l) => l.msg === 'request completed' && l.route === '/v1/groups/:groupId/recommendation',
    );
    expect(line?.trace_id).toBe(server.traceId);

    await until(
      () => (receiver.metricNames.has('http.server.request.duration') ? true : undefined),
      'http.server.request.duration metric',
    );
    await until(
      () => (receiver.metricNames.has('db.client.operation.duration') ? true : undefined),
      'db.client.operation.duration metric',
    );

    app.child.kill('SIGTERM');
    const [code] = await once(app.child, 'exit');
    expect(code).toBe(0);
  }, 60_000);
});
