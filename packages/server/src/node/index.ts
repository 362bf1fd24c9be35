import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ServerError } from '../errors.js';
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
  /**
   * Longest time a client may take to send the request line and headers; then it gets `408` and
   * the socket is closed (slow-header clients, slowloris). Node's default is 60 s. Default: `10_000`.
   */
  headersTimeoutMs?: number;
  /**
   * Longest time a client may take to send the whole request, headers and body; then `408` and
   * close. At least `headersTimeoutMs`. Node's default is 300 s. Default: `30_000`.
   */
  requestTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection stays open after a response. Keep it longer than the
   * idle timeout of the load balancer in front (60 s for AWS ALB and ingress-nginx), so the
   * balancer, not Node, closes idle connections and never sends on one Node just closed (a 502).
   * Node's default is 5 s. Default: `65_000`.
   */
  keepAliveTimeoutMs?: number;
  /**
   * Most open connections; beyond it Node closes new ones at once (logged at most every 10 s).
   * Node's default is no limit. Default: `1_000`.
   */
  maxConnections?: number;
  /**
   * How often Node checks open connections against `headersTimeoutMs` and `requestTimeoutMs`,
   * which bounds how late a timeout fires. Node's default is 30 s. Default: `1_000`.
   */
  connectionsCheckingIntervalMs?: number;
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
 * Slow clients are bounded: headers within `headersTimeoutMs`, the whole request within
 * `requestTimeoutMs` (else `408` and close), idle keep-alive connections close after
 * `keepAliveTimeoutMs`, and at most `maxConnections` are open at once.
 *
 * @param [options.headersTimeoutMs=10_000] - time to send the request line and headers
 * @param [options.requestTimeoutMs=30_000] - time to send the whole request
 * @param [options.keepAliveTimeoutMs=65_000] - idle time of a keep-alive connection
 * @param [options.maxConnections=1_000] - most open connections
 * @throws {ServerError} `SERVER_INVALID_OPTIONS` (a `RangeError`) when a duration is negative, a limit is not a positive integer, or
 *   `headersTimeoutMs` exceeds `requestTimeoutMs`
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
    headersTimeoutMs = 10_000,
    requestTimeoutMs = 30_000,
    keepAliveTimeoutMs = 65_000,
    maxConnections = 1_000,
    connectionsCheckingIntervalMs = 1_000,
    logger,
  } = options;
  if (drainDelayMs < 0 || shutdownTimeoutMs < 0) {
    throw new ServerError(
      'SERVER_INVALID_OPTIONS',
      'drainDelayMs and shutdownTimeoutMs must not be negative',
    );
  }
  for (const [name, value] of Object.entries({
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs,
    maxConnections,
    connectionsCheckingIntervalMs,
  })) {
    // 0 would mean "no limit" to Node: refuse it rather than silently turning a check off.
    if (!Number.isInteger(value) || value <= 0) {
      throw new ServerError(
        'SERVER_INVALID_OPTIONS',
        `${name} must be a positive integer, got ${value}`,
      );
    }
  }
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ServerError(
      'SERVER_INVALID_OPTIONS',
      `headersTimeoutMs (${headersTimeoutMs}) must not exceed requestTimeoutMs (${requestTimeoutMs})`,
    );
  }

  const { server, address } = await new Promise<{ server: Server; address: AddressInfo }>(
    (resolve, reject) => {
      const created = serve(
        {
          fetch,
          port,
          hostname,
          serverOptions: {
            headersTimeout: headersTimeoutMs,
            requestTimeout: requestTimeoutMs,
            keepAliveTimeout: keepAliveTimeoutMs,
            connectionsCheckingInterval: connectionsCheckingIntervalMs,
          },
        },
        (info) => resolve({ server: created as Server, address: info }),
      ) as Server;
      created.maxConnections = maxConnections;
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

  // Node closes connections past maxConnections itself; say so, at most every 10 s.
  let dropped = 0;
  let lastDropLogAt = Number.NEGATIVE_INFINITY;
  server.on('drop', () => {
    dropped++;
    if (performance.now() - lastDropLogAt < 10_000) return;
    lastDropLogAt = performance.now();
    logger?.warn({ maxConnections, dropped }, 'connection refused: maxConnections reached');
    dropped = 0;
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
