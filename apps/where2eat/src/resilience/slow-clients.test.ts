import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@micro-app/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MainProcess, startedProcesses, startMain } from '../test/main-process.js';

// The real main.ts, started with short SERVER_* limits: the environment reaches the node:http
// server, and raw TCP clients see the limits (not Node's 60 s headers timeout, nor no cap).

interface Watched {
  socket: Socket;
  received: () => string;
  /** ms from connect to close; rejects if the socket is still open after `withinMs`. */
  closed: (withinMs: number) => Promise<number>;
}

const sockets: Socket[] = [];

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

/** `GET /health/live` on an open keep-alive socket; resolves with the status line. */
async function live(watched: Watched): Promise<string> {
  const before = watched.received().length;
  watched.socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
  for (let i = 0; i < 500 && !/\r\n\r\n\S/.test(watched.received().slice(before)); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return watched.received().slice(before).split('\r\n')[0] ?? '';
}

describe('main.ts bounds slow and excess clients', () => {
  let dataDir: string;
  let testDb: TestDatabase;
  let main: MainProcess;
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'where2eat-slow-'));
    testDb = await createTestDatabase(process.env.DATABASE_URL);
    main = await startMain({
      SERVER_HEADERS_TIMEOUT_MS: '1000',
      SERVER_REQUEST_TIMEOUT_MS: '2000',
      SERVER_MAX_CONNECTIONS: '3',
      ...(testDb.url
        ? { DATABASE_URL: testDb.url, MIGRATE_ON_START: 'true' }
        : { DATA_DIR: dataDir }),
    });
    port = Number(new URL(main.url).port);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    for (const child of startedProcesses) if (child.exitCode === null) child.kill('SIGKILL');
    await testDb?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('closes a socket that sends half a request line and then nothing, within SERVER_HEADERS_TIMEOUT_MS', async () => {
    const slow = await open(port);
    slow.socket.write('GET /health/li');
    // Node's default would keep it for 60 s; the configured 1 s (checked every second) closes it.
    const closedAfterMs = await slow.closed(10_000);
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes connections beyond SERVER_MAX_CONNECTIONS and keeps serving those within it', async () => {
    const held = [await open(port), await open(port), await open(port)];
    for (const client of held) expect(await live(client)).toBe('HTTP/1.1 200 OK');
    const extra = await open(port);
    await extra.closed(10_000);
    expect(extra.received()).toBe('');
    expect(await live(held[0] as Watched)).toBe('HTTP/1.1 200 OK');
    const warned = main.logs.find((l) => l.msg === 'connection refused: maxConnections reached');
    expect(warned).toMatchObject({ maxConnections: 3 });
  });
});
