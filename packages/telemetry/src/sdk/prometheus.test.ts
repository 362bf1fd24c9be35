import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { type PrometheusEndpoint, prometheusEndpoint, prometheusName } from './prometheus.js';

const open: PrometheusEndpoint[] = [];
afterEach(async () => {
  for (const endpoint of open.splice(0)) await endpoint.close();
});

describe('prometheusName', () => {
  it('appends the Prometheus unit suffix of UCUM units once', () => {
    expect(prometheusName('http.server.request.duration', 's')).toBe(
      'http.server.request.duration_seconds',
    );
    expect(prometheusName('queue.latency', 'ms')).toBe('queue.latency_milliseconds');
    expect(prometheusName('payload.size', 'By')).toBe('payload.size_bytes');
    expect(prometheusName('job.duration_seconds', 's')).toBe('job.duration_seconds');
    expect(prometheusName('where2eat.recommendations', '{recommendation}')).toBe(
      'where2eat.recommendations',
    );
  });
});

describe('prometheusEndpoint', () => {
  it('serves the SDK metrics as Prometheus text with unit suffixes and service labels', async () => {
    const endpoint = prometheusEndpoint(0, '127.0.0.1');
    open.push(endpoint);
    const provider = new MeterProvider({ readers: [endpoint.reader] });
    const meter = provider.getMeter('test');
    meter
      .createHistogram('http.server.request.duration', {
        unit: 's',
        advice: { explicitBucketBoundaries: [0.1, 0.3] },
      })
      .record(0.2, { 'http.route': '/a' });
    meter.createCounter('where2eat.recommendations').add(3, { outcome: 'found' });
    await endpoint.ready;

    const response = await fetch(`http://127.0.0.1:${endpoint.port()}/metrics`);
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect(text).toMatch(
      /^http_server_request_duration_seconds_bucket\{http_route="\/a",.*le="0\.1"\} 0$/m,
    );
    expect(text).toMatch(
      /^http_server_request_duration_seconds_bucket\{http_route="\/a",.*le="0\.3"\} 1$/m,
    );
    expect(text).toMatch(/^where2eat_recommendations_total\{outcome="found",.*\} 3$/m);
    expect(text).toContain('service_name="unknown_service');
    await provider.shutdown();
  });

  it('answers 404 outside GET /metrics', async () => {
    const endpoint = prometheusEndpoint(0, '127.0.0.1');
    open.push(endpoint);
    await endpoint.ready;
    const response = await fetch(`http://127.0.0.1:${endpoint.port()}/other`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('Not found');
  });

  it('rejects ready when the port is taken, without an unhandled rejection', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as AddressInfo;
    try {
      const endpoint = prometheusEndpoint(port, '127.0.0.1');
      open.push(endpoint);
      await expect(endpoint.ready).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(endpoint.port()).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
