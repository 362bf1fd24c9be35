// What the flags serve when Unleash is down, hangs, or goes away during shutdown. Needs no
// Unleash server (see unleash.test.ts for the real one), so it runs in parallel with it.
import { createServer, type Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { createFlags } from './flags.js';
import { recordingLogger, testRegistry as registry } from './test-support.js';

const CLIENT_TOKEN = '*:development.flags-test-client-token';
const REFRESH_MS = 250;

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Unleash never reachable', () => {
  it('serves the declared defaults after the ready timeout, with a warning', {
    timeout: 60_000,
  }, async () => {
    const logger = recordingLogger();
    const flags = createFlags(registry, {
      unleash: {
        url: `http://127.0.0.1:${await closedPort()}/api`,
        apiToken: CLIENT_TOKEN,
        appName: 'flags-test',
        refreshIntervalMs: REFRESH_MS,
        requestTimeoutMs: 1000,
      },
      logger,
    });
    try {
      await expect(flags.ready({ timeoutMs: 300 })).resolves.toEqual({
        source: 'unleash',
        ready: false,
      });
      expect(flags.isReady()).toBe(false);
      expect(flags.isEnabled('recommendation-v2', { userId: 'u-1' })).toBe(false);
      expect(flags.isEnabled('new-onboarding')).toBe(true);
      const warning = logger.lines.find((line) =>
        line.msg?.startsWith('feature flags not ready in time'),
      );
      expect(warning).toMatchObject({ level: 'warn', obj: { source: 'unleash', timeoutMs: 300 } });
      // the first fetch gives up after unleash-client's retries (about 2 s), then it is logged
      await vi.waitFor(
        () =>
          expect(
            logger.lines.find((line) => line.msg === 'feature flag source failed'),
          ).toMatchObject({
            level: 'error',
            obj: { serving: 'declared defaults' },
          }),
        { timeout: 30_000, interval: 20 },
      );
      expect(flags.isEnabled('new-onboarding')).toBe(true);
    } finally {
      await flags.close();
    }
  });
});

describe('close() during an outage', () => {
  it('leaves no unhandled rejection behind when a fetch is still retrying', {
    timeout: 60_000,
  }, async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const logger = recordingLogger();
      const flags = createFlags(registry, {
        unleash: {
          url: `http://127.0.0.1:${await closedPort()}/api`,
          apiToken: CLIENT_TOKEN,
          appName: 'flags-test',
          refreshIntervalMs: 100,
          requestTimeoutMs: 1000,
          disableMetrics: true,
        },
        logger,
      });
      await flags.ready({ timeoutMs: 100 });
      // The first fetch (awaited by start) has failed after unleash-client's two retries, one
      // second apart; the next poll starts 100 ms later and retries the same way: close during it.
      await vi.waitFor(
        () =>
          expect(logger.lines.some((line) => line.msg === 'feature flag source failed')).toBe(true),
        { timeout: 30_000, interval: 20 },
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await flags.close();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(rejections).toEqual([]);
      expect(flags.isEnabled('new-onboarding')).toBe(true);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

describe('Unleash that accepts connections but never answers', () => {
  it('still resolves ready() at the timeout, not at the request timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const logger = recordingLogger();
    const flags = createFlags(registry, {
      unleash: {
        url: `http://127.0.0.1:${port}/api`,
        apiToken: CLIENT_TOKEN,
        appName: 'flags-test',
        // far longer than any test run: the request can only end by close()
        requestTimeoutMs: 600_000,
        disableMetrics: true,
      },
      logger,
    });
    try {
      await expect(flags.ready({ timeoutMs: 300 })).resolves.toEqual({
        source: 'unleash',
        ready: false,
      });
      // ready() resolved while the first request was still open and unanswered: it did not wait
      // for the request to time out (no failure has been logged, the socket is still connected)
      expect(logger.lines.some((line) => line.msg === 'feature flag source failed')).toBe(false);
      expect(sockets.size).toBeGreaterThan(0);
      expect([...sockets].some((socket) => !socket.destroyed)).toBe(true);
      expect(flags.isEnabled('new-onboarding')).toBe(true);
      expect(logger.lines.map((line) => line.msg)).toContain(
        'feature flags not ready in time; serving declared defaults until the source answers',
      );
    } finally {
      await flags.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
