import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test server saw. */
export interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/**
 * A real HTTP server on 127.0.0.1 for the tests: answers `status(req)` (200 by default) after
 * `delayMs`, and records every request.
 */
export async function testServer(
  options: { status?: (req: IncomingMessage) => number; delayMs?: number } = {},
) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body,
      });
      const answer = () => {
        res.writeHead(options.status?.(req) ?? 200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
