// Test support: a real HTTP issuer on 127.0.0.1 that serves a JWKS and a client-credentials
// token endpoint, signing with keys jose generates. Not part of the published build.
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import type { AuthLogger } from '../types.js';

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface SignOptions {
  key?: TestKey;
  /** Seconds from now; negative for an expired token. Default: 300. */
  expiresIn?: number;
  header?: Record<string, unknown>;
}

export interface TestIssuer {
  issuer: string;
  jwksUri: string;
  tokenUrl: string;
  audience: string;
  readonly stats: { jwksRequests: number; tokenRequests: number; discoveryRequests: number };
  /** Makes the discovery document name another issuer (a misconfiguration). */
  setDiscoveryIssuer(value: string | undefined): void;
  /** Current signing key (the newest published one). */
  readonly key: TestKey;
  /** Generates a key; published in the JWKS unless `publish` is false. */
  addKey(options?: { publish?: boolean; alg?: string }): Promise<TestKey>;
  unpublish(kid: string): void;
  /** While down, the JWKS endpoint answers 503. */
  setDown(down: boolean): void;
  sign(claims?: JWTPayload, options?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

export const SERVICE_CLIENT = { id: 'orders-service', secret: 's3cr3t value/+' };

let counter = 0;

async function newKey(alg = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `key-${++counter}`;
  return {
    kid,
    alg,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTestIssuer(
  options: { tokenTtlSeconds?: number } = {},
): Promise<TestIssuer> {
  const audience = 'where2eat';
  const published: TestKey[] = [];
  let signing = await newKey();
  published.push(signing);
  let down = false;
  const stats = { jwksRequests: 0, tokenRequests: 0, discoveryRequests: 0 };
  let discoveryIssuer: string | undefined;
  let issuer = '';

  async function sign(claims: JWTPayload = {}, signOptions: SignOptions = {}): Promise<string> {
    const key = signOptions.key ?? signing;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sub: 'alice',
      iss: issuer,
      aud: audience,
      iat: now,
      exp: now + (signOptions.expiresIn ?? 300),
      ...claims,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...signOptions.header })
      .sign(key.privateKey);
  }

  const server = createServer(async (req, res) => {
    if (req.url === '/jwks' && req.method === 'GET') {
      stats.jwksRequests++;
      if (down) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' });
      res.end(JSON.stringify({ keys: published.map((key) => key.publicJwk) }));
      return;
    }
    if (req.url === '/.well-known/openid-configuration' && req.method === 'GET') {
      stats.discoveryRequests++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: discoveryIssuer ?? issuer,
          jwks_uri: `${issuer}/jwks`,
          token_endpoint: `${issuer}/token`,
        }),
      );
      return;
    }
    if (req.url === '/token' && req.method === 'POST') {
      stats.tokenRequests++;
      const form = new URLSearchParams(await readBody(req));
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [id, secret] = basic
        ? Buffer.from(basic, 'base64')
            .toString('utf8')
            .split(':')
            .map((part) => decodeURIComponent(part.replaceAll('+', ' ')))
        : [form.get('client_id'), form.get('client_secret')];
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-store');
      if (id !== SERVICE_CLIENT.id || secret !== SERVICE_CLIENT.secret) {
        res.writeHead(401).end(JSON.stringify({ error: 'invalid_client' }));
        return;
      }
      if (form.get('grant_type') !== 'client_credentials') {
        res.writeHead(400).end(JSON.stringify({ error: 'unsupported_grant_type' }));
        return;
      }
      const ttl = options.tokenTtlSeconds ?? 300;
      const accessToken = await sign(
        {
          sub: id,
          client_id: id,
          aud: form.get('resource') ?? form.get('audience') ?? audience,
          ...(form.get('scope') ? { scope: form.get('scope') as string } : {}),
        },
        { expiresIn: ttl },
      );
      res
        .writeHead(200)
        .end(JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: ttl }));
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  issuer = `http://127.0.0.1:${port}`;

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    tokenUrl: `${issuer}/token`,
    audience,
    stats,
    get key() {
      return signing;
    },
    async addKey({ publish = true, alg } = {}) {
      const key = await newKey(alg);
      if (publish) {
        published.unshift(key);
        signing = key;
      }
      return key;
    },
    unpublish(kid) {
      const index = published.findIndex((key) => key.kid === kid);
      if (index >= 0) published.splice(index, 1);
    },
    setDown(value) {
      down = value;
    },
    setDiscoveryIssuer(value) {
      discoveryIssuer = value;
    },
    sign,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
    },
  };
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A logger that keeps what it is given, for assertions. */
export function recordingLogger(): AuthLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const push = (level: LogEntry['level']) => (obj: object, msg?: string) => {
    entries.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return { entries, info: push('info'), warn: push('warn'), error: push('error') };
}
