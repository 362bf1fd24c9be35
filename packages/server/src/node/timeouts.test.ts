import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createLifecycle } from '../lifecycle.js';
import { type RunningServer, type ServeOptions, serveGracefully } from './index.js';

const running: RunningServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of running.splice(0)) await server.shutdown();
});

async function start(options: Partial<ServeOptions> = {}) {
  const app = new Hono();
  app.get('/', (c) => c.text('ok'));
  const warnings: Array<Record<string, unknown>> = [];
  const server = await serveGracefully({
    fetch: app.fetch,
    port: 0,
    hostname: '127.0.0.1',
    lifecycle: createLifecycle(),
    signals: [],
    logger: {
      info() {},
      warn: (obj: object) => void warnings.push(obj as Record<string, unknown>),
      error() {},
    },
    ...options,
  });
  running.push(server);
  return { server, warnings };
}

interface Watched {
  socket: Socket;
  /** Everything the server sent. */
  received: () => string;
  /** Resolves with the ms from connect to close (capped: rejects after `withinMs`). */
  closed: (withinMs: number) => Promise<number>;
}

async function open(port: number): Promise<Watched> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  let data = '';
  socket.on('data', (chunk) => {
    data += chunk.toString('latin1');
  });
  const startedAt = performance.now();
  const closedAt = once(socket, 'close').then(() => performance.now() - startedAt);
  await once(socket, 'connect');
  return {
    socket,
    received: () => data,
    closed: (withinMs) =>
      Promise.race([
        closedAt,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`socket still open after ${withinMs} ms`)), withinMs),
        ),
      ]),
  };
}

/** One HTTP/1.1 GET on an open socket; resolves with the status line. */
async function get(watched: Watched): Promise<string> {
  const before = watched.received().length;
  watched.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  for (let i = 0; i < 200 && !watched.received().slice(before).includes('\r\n\r\nok'); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return watched.received().slice(before).split('\r\n')[0] ?? '';
}

describe('serveGracefully connection limits', () => {
  it('closes a slow-header connection after headersTimeoutMs with 408, long before Node’s 60 s', async () => {
    const { server } = await start({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
    const slow = await open(server.port);
    slow.socket.write('GET / HTTP/1.1\r\nHost: loc'); // then nothing
    const closedAfterMs = await slow.closed(10_000);
    // Timers never fire early: the server waited at least the configured time.
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('keeps a client that sends its headers in time', async () => {
    const { server } = await start({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
    const client = await open(server.port);
    expect(await get(client)).toBe('HTTP/1.1 200 OK');
  });

  it('closes connections beyond maxConnections and serves the ones within it', async () => {
    const { server, warnings } = await start({ maxConnections: 2 });
    const first = await open(server.port);
    const second = await open(server.port);
    expect(await get(first)).toBe('HTTP/1.1 200 OK');
    const third = await open(server.port);
    await third.closed(10_000);
    expect(third.received()).toBe('');
    expect(third.socket.writable).toBe(false);
    // The two within the cap are still served on their keep-alive connections.
    expect(await get(first)).toBe('HTTP/1.1 200 OK');
    expect(await get(second)).toBe('HTTP/1.1 200 OK');
    expect(warnings).toEqual([expect.objectContaining({ maxConnections: 2, dropped: 1 })]);
    // Once one closes, a new connection is accepted again.
    first.socket.destroy();
    await first.closed(10_000);
    await new Promise((r) => setTimeout(r, 50));
    const fourth = await open(server.port);
    expect(await get(fourth)).toBe('HTTP/1.1 200 OK');
  });

  it('applies the limits to the node:http server, not Node’s defaults', async () => {
    const { server } = await start();
    expect(server.server.headersTimeout).toBe(10_000);
    expect(server.server.requestTimeout).toBe(30_000);
    expect(server.server.keepAliveTimeout).toBe(65_000);
    expect(server.server.maxConnections).toBe(1_000);
    const custom = await start({ keepAliveTimeoutMs: 1_500, maxConnections: 7 });
    expect(custom.server.server.keepAliveTimeout).toBe(1_500);
    expect(custom.server.server.maxConnections).toBe(7);
  });

  it.each([
    ['a zero headersTimeoutMs', { headersTimeoutMs: 0 }],
    ['a fractional maxConnections', { maxConnections: 1.5 }],
    [
      'headersTimeoutMs above requestTimeoutMs',
      { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 },
    ],
  ])(
    'throws a RangeError (ServerError SERVER_INVALID_OPTIONS) at once for %s',
    async (_name, override) => {
      await expect(start(override)).rejects.toThrow(RangeError);
      await expect(start(override)).rejects.toMatchObject({
        name: 'ServerError',
        code: 'SERVER_INVALID_OPTIONS',
      });
    },
  );
});
