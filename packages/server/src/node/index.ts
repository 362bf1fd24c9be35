import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Lifecycle } from '../lifecycle.js';
import type { KitLogger } from '../types.js';

export interface ServeOptions {
  /** The app's fetch handler, usually `app.fetch`. */
  fetch: Parameters<typeof serve>[0]['fetch'];
  /** TCP port; `0` picks a free one. Default: `3000`. */
  port?: number;
  /** Interface to bind. Default: `'0.0.0.0'`. */
  hostname?: string;
  /** Shutdown state shared with the health routes. */
  lifecycle: Lifecycle;
  /**
   * Time between "ready turns 503" and "stop accepting connections", so load balancers notice
   * before the listener closes. Kubernetes needs a few seconds. Default: `0`.
   */
  drainDelayMs?: number;
  /** Longest wait for in-flight requests once the listener is closed; then connections are cut. Default: `10_000`. */
  shutdownTimeoutMs?: number;
  /** Run in order after the server closed (close pools, flush telemetry). Each gets its own catch. */
  onShutdown?: Array<() => Promise<unknown> | unknown>;
  /** Signals that begin a graceful shutdown. Default: `['SIGTERM', 'SIGINT']`. */
  signals?: NodeJS.Signals[];
  /** Called with the exit code once shutdown is complete. Default: `process.exit`. */
  exit?: (code: number) => void;
  logger?: KitLogger;
}

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /** Drains and stops the server as a signal would; resolves with the exit code. */
  shutdown(reason?: string): Promise<number>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Serves a fetch handler on Node with graceful shutdown: on SIGTERM/SIGINT, readiness turns 503,
 * after `drainDelayMs` the listener closes, in-flight requests finish (bounded by
 * `shutdownTimeoutMs`), `onShutdown` hooks run, and the process exits 0. A second signal (more than 1 s after the first) exits at once.
 *
 * @throws {RangeError} when a duration is negative
 * @example
 * const lifecycle = createLifecycle();
 * await serveGracefully({ fetch: app.fetch, port: 3000, lifecycle, onShutdown: [() => db.close()] });
 */
export async function serveGracefully(options: ServeOptions): Promise<RunningServer> {
  const {
    fetch,
    port = 3000,
    hostname = '0.0.0.0',
    lifecycle,
    drainDelayMs = 0,
    shutdownTimeoutMs = 10_000,
    onShutdown = [],
    signals = ['SIGTERM', 'SIGINT'],
    exit = (code: number) => process.exit(code),
    logger,
  } = options;
  if (drainDelayMs < 0 || shutdownTimeoutMs < 0) {
    throw new RangeError('drainDelayMs and shutdownTimeoutMs must not be negative');
  }

  const { server, address } = await new Promise<{ server: Server; address: AddressInfo }>(
    (resolve, reject) => {
      const created = serve({ fetch, port, hostname }, (info) =>
        resolve({ server: created as Server, address: info }),
      ) as Server;
      created.once('error', reject);
    },
  );

  // Once shutdown begins, every response not yet started says `Connection: close`, so clients
  // stop reusing sockets that are about to be closed instead of racing the close (ECONNRESET).
  const unanswered = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    if (lifecycle.shuttingDown) {
      res.shouldKeepAlive = false;
      return;
    }
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res));
  });

  let shutdownPromise: Promise<number> | undefined;

  async function stop(reason: string): Promise<number> {
    const startedAt = performance.now();
    lifecycle.beginShutdown();
    for (const res of unanswered) if (!res.headersSent) res.shouldKeepAlive = false;
    unanswered.clear();
    logger?.info({ reason, drainDelayMs }, 'shutdown started: readiness is now 503');
    if (drainDelayMs > 0) await sleep(drainDelayMs);

    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets become idle once their in-flight response is sent; close them as they do.
    server.closeIdleConnections();
    const sweeper = setInterval(() => server.closeIdleConnections(), 25);
    const forced = sleep(shutdownTimeoutMs).then(() => 'timeout' as const);
    const outcome = await Promise.race([closed.then(() => 'closed' as const), forced]);
    clearInterval(sweeper);
    if (outcome === 'timeout') {
      logger?.warn(
        { shutdownTimeoutMs },
        'in-flight requests did not finish in time; closing connections',
      );
      server.closeAllConnections();
      await closed;
    }

    let code = 0;
    for (const hook of onShutdown) {
      try {
        await hook();
      } catch (err) {
        code = 1;
        logger?.error({ err }, 'shutdown hook failed');
      }
    }
    logger?.info(
      { durationMs: Math.round(performance.now() - startedAt), code },
      'shutdown complete',
    );
    return code;
  }

  function shutdown(reason = 'shutdown requested'): Promise<number> {
    shutdownPromise ??= stop(reason);
    return shutdownPromise;
  }

  let firstSignalAt = 0;
  for (const signal of signals) {
    process.on(signal, () => {
      // A signal sent to the whole process group (a terminal's Ctrl+C, `timeout`) can arrive
      // twice within milliseconds; only a deliberate second signal cuts the drain short.
      if (shutdownPromise && performance.now() - firstSignalAt < 1_000) return;
      if (shutdownPromise) {
        logger?.warn({ signal }, 'second signal during shutdown: exiting now');
        exit(1);
        return;
      }
      firstSignalAt = performance.now();
      void shutdown(signal).then(exit);
    });
  }

  const boundHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, port: address.port, url: `http://${boundHost}:${address.port}`, shutdown };
}
