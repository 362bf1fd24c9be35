import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { health } from '../health/index.js';
import { createLifecycle } from '../lifecycle.js';
import { serveGracefully } from './index.js';

describe('serveGracefully', () => {
  it('turns ready 503, finishes in-flight requests, closes the listener and runs hooks', async () => {
    const lifecycle = createLifecycle();
    const app = new Hono();
    app.route('/health', health({ lifecycle }));
    app.get('/slow', async (c) => {
      await new Promise((r) => setTimeout(r, 300));
      return c.text('done');
    });
    const events: string[] = [];
    let exitCode: number | undefined;
    const running = await serveGracefully({
      fetch: app.fetch,
      port: 0,
      hostname: '127.0.0.1',
      lifecycle,
      drainDelayMs: 100,
      shutdownTimeoutMs: 2_000,
      signals: [],
      exit: (code) => {
        exitCode = code;
      },
      onShutdown: [() => void events.push('hook')],
    });

    const inFlight = fetch(`${running.url}/slow`).then(async (r) => [r.status, await r.text()]);
    await new Promise((r) => setTimeout(r, 50));
    const stopping = running.shutdown('test');
    const ready = await fetch(`${running.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await inFlight).toEqual([200, 'done']);
    expect(await stopping).toBe(0);
    expect(events).toEqual(['hook']);
    expect(exitCode).toBeUndefined();
    await expect(fetch(`${running.url}/health/live`)).rejects.toThrow();
  });

  it('cuts connections that outlive the shutdown timeout', async () => {
    const lifecycle = createLifecycle();
    const app = new Hono();
    app.get('/hang', () => new Promise<Response>(() => {}));
    const running = await serveGracefully({
      fetch: app.fetch,
      port: 0,
      hostname: '127.0.0.1',
      lifecycle,
      shutdownTimeoutMs: 100,
      signals: [],
    });
    const hanging = fetch(`${running.url}/hang`).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    // The request hangs for ever: shutdown returning at all is the timeout doing its work.
    expect(await running.shutdown()).toBe(0);
    expect(await hanging).toBeInstanceOf(Error);
  });
});
