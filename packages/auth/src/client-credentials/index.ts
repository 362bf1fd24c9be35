import { decodeJwt } from 'jose';
import { AuthError } from '../errors.js';

/** Options of {@link clientCredentials}. */
export interface ClientCredentialsOptions {
  /** The IdP's token endpoint. */
  tokenUrl: string | URL;
  /** This service's client id. */
  clientId: string;
  /** This service's client secret (keep it in a secret store; it is never logged). */
  clientSecret: string;
  /** `audience` form parameter, for IdPs that use it (Auth0). Default: not sent. */
  audience?: string;
  /** RFC 8707 `resource` indicator(s) naming the called service. Default: not sent. */
  resource?: string | readonly string[];
  /** Scopes to request (list, or one space-separated string). Default: not sent. */
  scope?: string | readonly string[];
  /** How the client authenticates: HTTP Basic or form fields. Default: `'client_secret_basic'`. */
  authMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Fetch a new token this long before the current one expires, in ms. Default: `30_000`. */
  refreshBeforeExpiryMs?: number;
  /** Time allowed for one token request, in milliseconds. Default: `10_000`. */
  timeoutMs?: number;
  /** `fetch` used for the token request. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/** A client-credentials token source created by {@link clientCredentials}. */
export interface ClientCredentials {
  /** A valid access token, from cache or fetched (one request at a time however many callers). */
  getToken(): Promise<string>;
  /** `Bearer <token>`, ready for the `Authorization` header of an outbound call. */
  authorizationHeader(): Promise<string>;
  /** Forgets the cached token, e.g. after the called service answered 401. */
  invalidate(): void;
}

interface CachedToken {
  value: string;
  refreshAtMs: number;
}

/** `application/x-www-form-urlencoded` encoding, required for Basic credentials (RFC 6749 §2.3.1). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function lifetimeSeconds(body: Record<string, unknown>, token: string): number | undefined {
  const expiresIn = Number(body.expires_in);
  if (body.expires_in !== undefined && Number.isFinite(expiresIn) && expiresIn > 0)
    return expiresIn;
  try {
    const { exp } = decodeJwt(token);
    if (typeof exp === 'number') return exp - Date.now() / 1000;
  } catch {
    // An opaque token without expires_in: do not cache it.
  }
  return undefined;
}

/**
 * Service-to-service tokens with the OAuth 2.0 client-credentials grant. Fetches a token from the
 * IdP's token endpoint, caches it until shortly before it expires, and shares one in-flight
 * request among concurrent callers.
 *
 * @param options - see {@link ClientCredentialsOptions}
 * @param [options.refreshBeforeExpiryMs=30000] - renewal margin (at most half the token lifetime)
 * @throws {AuthError} code `AUTH_INVALID_OPTIONS` at once for missing options; `getToken()` rejects
 *   with `AUTH_TOKEN_REQUEST_FAILED` (network error, timeout, non-2xx) or `AUTH_INVALID_TOKEN_RESPONSE`
 * @example
 * const tokens = clientCredentials({
 *   tokenUrl: 'https://id.example.com/token',
 *   clientId: 'where2eat-service',
 *   clientSecret: secret,
 *   resource: 'urn:ratings',
 *   scope: 'read',
 * });
 * await fetch(url, { headers: { Authorization: await tokens.authorizationHeader() } });
 */
export function clientCredentials(options: ClientCredentialsOptions): ClientCredentials {
  const {
    clientId,
    clientSecret,
    audience,
    resource,
    scope,
    authMethod = 'client_secret_basic',
    refreshBeforeExpiryMs = 30_000,
    timeoutMs = 10_000,
    fetch: fetchImpl = globalThis.fetch,
  } = options ?? ({} as ClientCredentialsOptions);
  const tokenUrl = URL.parse(String(options?.tokenUrl));
  if (!tokenUrl || (tokenUrl.protocol !== 'https:' && tokenUrl.protocol !== 'http:')) {
    throw new AuthError('AUTH_INVALID_OPTIONS', 'tokenUrl must be an http(s) URL');
  }
  if (typeof clientId !== 'string' || clientId.length === 0) {
    throw new AuthError('AUTH_INVALID_OPTIONS', 'clientId is required');
  }
  if (typeof clientSecret !== 'string' || clientSecret.length === 0) {
    throw new AuthError('AUTH_INVALID_OPTIONS', 'clientSecret is required');
  }
  if (authMethod !== 'client_secret_basic' && authMethod !== 'client_secret_post') {
    throw new AuthError('AUTH_INVALID_OPTIONS', `unsupported authMethod ${String(authMethod)}`);
  }
  for (const [name, value] of [
    ['refreshBeforeExpiryMs', refreshBeforeExpiryMs],
    ['timeoutMs', timeoutMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new AuthError('AUTH_INVALID_OPTIONS', `${name} must be a non-negative number`);
    }
  }

  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (audience !== undefined) form.set('audience', audience);
  for (const value of typeof resource === 'string' ? [resource] : (resource ?? [])) {
    form.append('resource', value);
  }
  const scopes = typeof scope === 'string' ? scope : scope?.join(' ');
  if (scopes) form.set('scope', scopes);
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
  };
  if (authMethod === 'client_secret_basic') {
    const credentials = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
    headers.Authorization = `Basic ${btoa(credentials)}`;
  } else {
    form.set('client_id', clientId);
    form.set('client_secret', clientSecret);
  }
  const body = form.toString();

  let cached: CachedToken | undefined;
  let pending: Promise<CachedToken> | undefined;

  async function request(): Promise<CachedToken> {
    let response: Response;
    try {
      response = await fetchImpl(tokenUrl as URL, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new AuthError(
        'AUTH_TOKEN_REQUEST_FAILED',
        `token request to ${tokenUrl?.href} failed`,
        {
          cause,
        },
      );
    }
    const json: unknown = await response.json().catch(() => undefined);
    const fields = (typeof json === 'object' && json !== null ? json : {}) as Record<
      string,
      unknown
    >;
    if (!response.ok) {
      const oauthError = typeof fields.error === 'string' ? ` (${fields.error})` : '';
      throw new AuthError(
        'AUTH_TOKEN_REQUEST_FAILED',
        `token endpoint answered ${response.status}${oauthError}`,
      );
    }
    const value = fields.access_token;
    if (typeof value !== 'string' || value.length === 0) {
      throw new AuthError('AUTH_INVALID_TOKEN_RESPONSE', 'token response has no access_token');
    }
    if (typeof fields.token_type !== 'string' || fields.token_type.toLowerCase() !== 'bearer') {
      throw new AuthError('AUTH_INVALID_TOKEN_RESPONSE', 'token response is not a Bearer token');
    }
    const lifetime = lifetimeSeconds(fields, value);
    const nowMs = Date.now();
    const lifetimeMs = lifetime === undefined ? 0 : lifetime * 1000;
    const margin = Math.min(refreshBeforeExpiryMs, lifetimeMs / 2);
    return { value, refreshAtMs: nowMs + lifetimeMs - margin };
  }

  async function getToken(): Promise<string> {
    if (cached !== undefined && Date.now() < cached.refreshAtMs) return cached.value;
    if (pending === undefined) {
      const current = request()
        .then((token) => {
          if (pending === current) cached = token;
          return token;
        })
        .finally(() => {
          if (pending === current) pending = undefined;
        });
      pending = current;
    }
    return (await pending).value;
  }

  return {
    getToken,
    async authorizationHeader() {
      return `Bearer ${await getToken()}`;
    },
    invalidate() {
      cached = undefined;
      pending = undefined;
    },
  };
}
