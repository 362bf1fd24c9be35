import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';

/** True when the environment names a Redis: then missing Redis pieces fail instead of skipping. */
export const REDIS_REQUIRED = Boolean(process.env.REDIS_URL);
/** The shared Redis of the Redis-backed tests: only the one the environment names. */
export const REDIS_URL = process.env.REDIS_URL ?? '';

/** A unique key prefix for one test run. */
export function uniquePrefix(): string {
  return `rl-test:${randomUUID()}:`;
}

/** Connects and pings; resolves false when Redis cannot be reached within a second. */
export async function redisReachable(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Decides whether the shared-Redis tests run: with REDIS_URL set they run, and fail when Redis
 * does not answer there; without it they are skipped with a printed reason. A Redis that merely
 * listens on this machine is never written to unless REDIS_URL names it.
 */
export async function sharedRedisOrSkip(): Promise<boolean> {
  if (!REDIS_REQUIRED) {
    console.warn(
      '[rate-limit] SKIPPED shared-Redis tests: REDIS_URL is not set (set it to a Redis they may write rl-test:* keys to)',
    );
    return false;
  }
  if (await redisReachable(REDIS_URL)) return true;
  throw new Error(`REDIS_URL is set to ${REDIS_URL} but Redis does not answer there`);
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Finds an executable on PATH. */
export async function findOnPath(binary: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A redis-server this test started and owns. */
export interface OwnRedis {
  url: string;
  process: ChildProcess;
  /** SIGSTOP: the socket stays open but nothing answers (a hung Redis). */
  pause(): void;
  /** SIGKILL and wait for the exit (a Redis that is gone). */
  kill(): Promise<void>;
}

/** Starts `redis-server` on a free loopback port without persistence and waits until it answers. */
export async function startRedisServer(binary: string): Promise<OwnRedis> {
  const port = await freePort();
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 5_000;
  while (!(await redisReachable(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    process: child,
    pause: () => {
      child.kill('SIGSTOP');
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
