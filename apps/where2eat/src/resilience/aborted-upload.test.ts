import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test/harness.js';

// A client that sends its headers and part of the body, then hangs up: the client's doing, so
// no 5xx, no error-level log line, nothing counted against availability.

describe('a client that aborts its upload', () => {
  let t: TestApp;
  let server: ReturnType<typeof serve>;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp();
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  it.each([
    ['without', {}],
    ['with', { 'Idempotency-Key': 'aborted-upload-1' }],
  ])(
    'is logged as a client abort (499), not a 5xx or an error, %s an Idempotency-Key',
    async (_, extra) => {
      const before = t.logs.length;
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      await once(socket, 'connect');
      const headers = [
        'POST /v1/groups HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${t.tokens.alice}`,
        'Content-Type: application/json',
        'Content-Length: 2000',
        ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${headers.join('\r\n')}\r\n\r\n{"name": "half a bo`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();

      let line: Record<string, unknown> | undefined;
      for (let i = 0; i < 200 && !line; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        line = t.logs.slice(before).find((l) => l.path === '/v1/groups' && 'status' in l);
      }
      const lines = t.logs.slice(before);
      expect(line).toMatchObject({ status: 499, msg: 'client closed the request' });
      // pino levels: 50 is error. Nothing at error level, and no 503 anywhere.
      expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
      expect(JSON.stringify(lines)).not.toContain('dependency-unavailable');
      // The app still serves, and the claim of the aborted key was released.
      const res = await t.request('/v1/groups', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...extra },
        body: JSON.stringify({ name: 'after the abort' }),
      });
      expect(res.status).toBe(201);
    },
  );
});
