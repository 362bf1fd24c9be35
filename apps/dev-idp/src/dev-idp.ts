import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { DevIdpError } from './errors.js';
import { handleInteraction } from './interactions.js';
import { generateKeySet, generateSigningKey, type SigningJwk } from './keys.js';
import { memoryAdapter } from './memory-adapter.js';
import { createDevProvider, type ProviderSettings, resourceIndicatorFor } from './provider.js';
import type { TlsFiles } from './tls.js';
import {
  DEFAULT_CLIENTS,
  DEFAULT_USERS,
  DEV_CLI_CLIENT_ID,
  type DevClient,
  type DevUser,
  SERVICE_CLIENT_ID,
  SERVICE_CLIENT_SECRET,
  WHERE2EAT_SCOPES,
} from './users.js';

/** Options of {@link startDevIdp}. */
export interface DevIdpOptions {
  /** TCP port; `0` picks a free one. Default: `4000`. */
  port?: number;
  /** Interface to listen on. Default: `'127.0.0.1'`. */
  host?: string;
  /** Issuer URL written in tokens and discovery. Default: `http://<host>:<port>` (`localhost` for a wildcard host). */
  issuer?: string;
  /** Audience (`aud`) of access tokens. Default: `'where2eat'`. */
  audience?: string;
  /** More audiences a client may ask for with `resource` (service-to-service). Default: `[]`. */
  extraAudiences?: string[];
  /**
   * Resource scopes the IdP grants (each client gets those of its `scopes` that are listed here).
   * Default: {@link WHERE2EAT_SCOPES} (`cuisines:read`, `groups:read`, `groups:write`).
   */
  scopes?: string[];
  /** Seeded users. Default: {@link DEFAULT_USERS} (alice, bob, carol). */
  users?: readonly DevUser[];
  /** Registered clients. Default: {@link DEFAULT_CLIENTS}. */
  clients?: readonly DevClient[];
  /** Private signing keys (ES256 first). Default: generated at start. */
  keys?: SigningJwk[];
  /** Access-token lifetime in seconds. Default: `3600`. */
  accessTokenTtlSeconds?: number;
  /**
   * Serve HTTPS with this certificate and key (e.g. from {@link loadOrCreateTls}); the default
   * issuer is then `https://…`. Clients must trust the certificate. Default: plain HTTP.
   */
  tls?: TlsFiles;
}

/** Options of {@link DevIdp.getUserToken} and {@link DevIdp.getClientToken}. */
export interface DevTokenOptions {
  /** Space-separated scopes. Default: every scope the client may get. */
  scope?: string;
  /** Audience of the token; must be the IdP's audience or one of `extraAudiences`. */
  audience?: string;
}

/** A running dev IdP, returned by {@link startDevIdp}. */
export interface DevIdp {
  /** Issuer URL (`iss`), e.g. `http://127.0.0.1:41234`. */
  readonly issuer: string;
  /** The default audience (`aud`) of access tokens. */
  readonly audience: string;
  /** `${issuer}/.well-known/openid-configuration`. */
  readonly discoveryUrl: string;
  /** The JWKS URL (public keys). */
  readonly jwksUri: string;
  /** The token endpoint URL. */
  readonly tokenEndpoint: string;
  /** The port listened on. */
  readonly port: number;
  /** A user access token (JWT) from the real token endpoint, via the dev-only password grant. */
  getUserToken(username: string, options?: DevTokenOptions): Promise<string>;
  /**
   * A client-credentials access token (JWT); default client `where2eat-service`, default scope
   * every scope that client may get.
   */
  getClientToken(
    options?: DevTokenOptions & { clientId?: string; clientSecret?: string },
  ): Promise<string>;
  /**
   * Publishes a new ES256 signing key and signs new tokens with it. Previous keys stay published
   * (tokens they signed keep verifying) unless `retirePrevious` is true.
   */
  rotateKeys(options?: { retirePrevious?: boolean }): Promise<{ kid: string }>;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new DevIdpError('invalid_options', message);
}

/**
 * Starts a real OpenID Connect provider (oidc-provider) for development and tests: discovery,
 * JWKS, JWT access tokens with `tenant` and `roles` claims, client credentials, a login page for
 * seeded users and a DEVELOPMENT-ONLY password grant.
 *
 * @param [options.port=4000] - `0` for a free port (tests)
 * @param [options.audience='where2eat'] - `aud` of access tokens
 * @param [options.users=DEFAULT_USERS] - seeded users
 * @throws {DevIdpError} code `invalid_options` for bad options
 * @example
 * const idp = await startDevIdp({ port: 0 });
 * const token = await idp.getUserToken('alice');
 * // jwtAuth({ issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri })
 * await idp.close();
 */
export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  const {
    port = 4000,
    host = '127.0.0.1',
    audience = 'where2eat',
    extraAudiences = [],
    scopes = [...WHERE2EAT_SCOPES],
    users = DEFAULT_USERS,
    clients = DEFAULT_CLIENTS,
    accessTokenTtlSeconds = 3600,
  } = options;
  check(Number.isInteger(port) && port >= 0 && port < 65536, `port must be 0-65535, got ${port}`);
  check(typeof audience === 'string' && audience.length > 0, 'audience must be a non-empty string');
  check(
    Number.isInteger(accessTokenTtlSeconds) && accessTokenTtlSeconds > 0,
    'accessTokenTtlSeconds must be a positive integer',
  );
  check(users.length > 0, 'at least one user is required');
  check(new Set(users.map((u) => u.username)).size === users.length, 'usernames must be unique');
  if (options.issuer !== undefined)
    check(URL.parse(options.issuer) !== null, 'issuer must be a URL');
  const keys = options.keys ?? generateKeySet();
  check(
    keys.some((k) => k.alg === 'ES256'),
    'keys must include an ES256 key',
  );

  let provider: Provider | undefined;
  let callback: ReturnType<Provider['callback']> | undefined;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const current = provider;
    if (current === undefined || callback === undefined) {
      res.writeHead(503).end();
      return;
    }
    handleInteraction(current, users, req, res)
      .then((handled) => {
        if (!handled) callback?.(req, res);
      })
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`interaction failed: ${(err as Error).message}`);
      });
  };
  const { tls } = options;
  const server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler)
    : createServer(handler);
  server.listen(port, host);
  await once(server, 'listening');
  const actualPort = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const issuer =
    options.issuer ??
    `${tls ? 'https' : 'http'}://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${actualPort}`;

  const settings: ProviderSettings = {
    issuer,
    audience,
    extraAudiences,
    scopes,
    users,
    clients,
    keys,
    accessTokenTtlSeconds,
    cookieKeys: [randomBytes(32).toString('base64url')],
    adapter: memoryAdapter(),
  };
  const install = () => {
    provider = createDevProvider(settings);
    callback = provider.callback();
  };
  try {
    install();
  } catch (err) {
    server.close();
    throw err;
  }
  const active = provider as unknown as Provider;
  const jwksUri = active.urlFor('jwks');
  const tokenEndpoint = active.urlFor('token');

  async function requestToken(form: Record<string, string>, basic?: string): Promise<string> {
    const res = await postForm(tokenEndpoint, form, basic, tls?.cert);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(res.body) as Record<string, unknown>;
    } catch {}
    if (res.status !== 200 || typeof body.access_token !== 'string') {
      throw new DevIdpError(
        'token_request_failed',
        `token endpoint answered ${res.status}: ${String(body.error)} ${String(body.error_description ?? '')}`.trim(),
      );
    }
    return body.access_token;
  }

  function tokenParams(opts: DevTokenOptions): Record<string, string> {
    return {
      ...(opts.scope ? { scope: opts.scope } : {}),
      ...(opts.audience ? { resource: resourceIndicatorFor(opts.audience) } : {}),
    };
  }

  return {
    issuer,
    audience,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri,
    tokenEndpoint,
    port: actualPort,
    async getUserToken(username, opts = {}) {
      const user = users.find((u) => u.username === username);
      if (user === undefined) throw new DevIdpError('unknown_user', `no seeded user ${username}`);
      return requestToken({
        grant_type: 'password',
        client_id: DEV_CLI_CLIENT_ID,
        username,
        password: user.password ?? user.username,
        ...tokenParams(opts),
      });
    },
    async getClientToken(opts = {}) {
      const { clientId = SERVICE_CLIENT_ID, clientSecret = SERVICE_CLIENT_SECRET } = opts;
      const basic = btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`);
      const allowed = clients.find((c) => c.clientId === clientId)?.scopes;
      const scope =
        opts.scope ?? scopes.filter((s) => allowed === undefined || allowed.includes(s)).join(' ');
      return requestToken(
        { grant_type: 'client_credentials', ...tokenParams({ ...opts, scope }) },
        basic,
      );
    },
    async rotateKeys({ retirePrevious = false } = {}) {
      const key = generateSigningKey('ES256');
      const kept = retirePrevious ? settings.keys.filter((k) => k.alg !== 'ES256') : settings.keys;
      settings.keys = [key, ...kept];
      install();
      return { kid: key.kid };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
    },
  };
}

/** POSTs a form to the IdP's own token endpoint, trusting `ca` when it serves HTTPS. */
function postForm(
  url: string,
  form: Record<string, string>,
  basic: string | undefined,
  ca: string | undefined,
): Promise<{ status: number; body: string }> {
  const payload = new URLSearchParams(form).toString();
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        ...(ca ? { ca } : {}),
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': Buffer.byteLength(payload),
          ...(basic ? { Authorization: `Basic ${basic}` } : {}),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
