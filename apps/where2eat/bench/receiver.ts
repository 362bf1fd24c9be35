import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Receiver {
  /** Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string;
  /** Exports received so far (traces and metrics). */
  readonly exports: number;
  close(): Promise<void>;
}

/**
 * An OTLP/HTTP endpoint on loopback that answers every export with an empty success, as a
 * collector that keeps nothing would, so the servers pay for exporting but nothing is stored.
 */
export async function startReceiver(): Promise<Receiver> {
  let exports = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') exports += 1;
      const json = req.headers['content-type']?.includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get exports() {
      return exports;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
