import {
  type CryptoKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  jwksCache,
} from 'jose';
import { AuthError } from '../errors.js';
import type { AuthLogger } from '../types.js';

/** Resolves the verification key for a token and tells when the key set changed. */
export interface KeyResolver {
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey>;
  /**
   * True when a cached verification should be redone because the key set is due for a refresh
   * (so a key the issuer withdrew stops working even for cached tokens).
   */
  needsRevalidation(): boolean;
}

export interface RemoteKeyResolverOptions {
  url: URL;
  timeoutMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  fetch: typeof fetch | undefined;
  logger: AuthLogger;
  /** Called when a fetched key set differs from the previous one. */
  onChange(): void;
}

/** Errors that come from fetching the key set rather than from matching a key in it. */
function isFetchFailure(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.code === 'ERR_JOSE_GENERIC';
  return true;
}

/**
 * A remote key set on top of jose's `createRemoteJWKSet` (cache, cooldown, refetch on unknown
 * `kid`), made to survive an outage of the JWKS endpoint: when a fetch fails, the last key set
 * fetched keeps being used, and no new fetch is tried until the cooldown has passed.
 */
export function remoteKeyResolver(options: RemoteKeyResolverOptions): KeyResolver {
  const { url, timeoutMs, cooldownMs, cacheMaxAgeMs, logger, onChange } = options;
  const cache: { uat?: number; jwks?: JSONWebKeySet } = {};
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: timeoutMs,
    cooldownDuration: cooldownMs,
    cacheMaxAge: cacheMaxAgeMs,
    [jwksCache]: cache as Record<string, never>,
    ...(options.fetch ? { [customFetch]: options.fetch } : {}),
  });

  let seenUat: number | undefined;
  let fingerprint: string | undefined;
  let lastFailureMs = Number.NEGATIVE_INFINITY;
  let fallback:
    | { uat: number | undefined; local: ReturnType<typeof createLocalJWKSet> }
    | undefined;

  function observe(): void {
    if (cache.uat === seenUat) return;
    seenUat = cache.uat;
    const next = JSON.stringify(cache.jwks);
    if (next !== fingerprint) {
      const first = fingerprint === undefined;
      fingerprint = next;
      // Nothing can have been verified before the first key set, so only later changes count.
      if (!first) {
        logger.info({ jwksUri: url.href }, 'JWKS changed; verified-token cache cleared');
        onChange();
      }
    }
  }

  function lastKnown(): ReturnType<typeof createLocalJWKSet> | undefined {
    if (!cache.jwks) return undefined;
    if (fallback === undefined || fallback.uat !== cache.uat) {
      fallback = { uat: cache.uat, local: createLocalJWKSet(cache.jwks) };
    }
    return fallback.local;
  }

  function inFailureCooldown(): boolean {
    return Date.now() - lastFailureMs < cooldownMs;
  }

  return {
    async getKey(header, token) {
      const known = inFailureCooldown() ? lastKnown() : undefined;
      if (known) return known(header, token);
      try {
        const key = await remote(header, token);
        observe();
        return key;
      } catch (err) {
        // A refetch may have landed before the key lookup failed.
        observe();
        if (!isFetchFailure(err)) throw err;
        lastFailureMs = Date.now();
        const stale = lastKnown();
        logger.error(
          {
            jwksUri: url.href,
            err: { name: (err as Error).name, message: (err as Error).message },
            usingCachedKeys: stale !== undefined,
          },
          'JWKS fetch failed',
        );
        if (stale) return stale(header, token);
        throw new AuthError('AUTH_JWKS_UNAVAILABLE', `could not fetch the JWKS from ${url.href}`, {
          cause: err,
        });
      }
    },
    needsRevalidation() {
      return !remote.fresh && !inFailureCooldown();
    },
  };
}

/** A fixed key set given in the options. */
export function localKeyResolver(jwks: JSONWebKeySet): KeyResolver {
  const local = createLocalJWKSet(jwks);
  return {
    getKey: (header, token) => local(header, token),
    needsRevalidation: () => false,
  };
}

export interface DiscoveringKeyResolverOptions extends Omit<RemoteKeyResolverOptions, 'url'> {
  issuer: string;
}

/**
 * A remote key set whose URL is read once from the issuer's OpenID discovery document
 * (`<issuer>/.well-known/openid-configuration`, whose `issuer` must match exactly) on first use.
 * A failed discovery is retried at most every `min(cooldownMs, 5 s)`.
 */
export function discoveringKeyResolver(options: DiscoveringKeyResolverOptions): KeyResolver {
  const { issuer, timeoutMs, cooldownMs, logger } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const discoveryUrl = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const retryMs = Math.min(cooldownMs, 5_000);
  let inner: KeyResolver | undefined;
  let pending: Promise<KeyResolver> | undefined;
  let lastFailureMs = Number.NEGATIVE_INFINITY;

  async function discover(): Promise<KeyResolver> {
    const res = await fetchImpl(discoveryUrl, {
      headers: { Accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200)
      throw new AuthError('AUTH_JWKS_UNAVAILABLE', `discovery answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== issuer) {
      throw new AuthError(
        'AUTH_JWKS_UNAVAILABLE',
        `discovery names issuer ${JSON.stringify(doc.issuer)}, expected ${issuer}`,
      );
    }
    const url = typeof doc.jwks_uri === 'string' ? URL.parse(doc.jwks_uri) : null;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new AuthError('AUTH_JWKS_UNAVAILABLE', 'discovery has no http(s) jwks_uri');
    }
    logger.info({ issuer, jwksUri: url.href }, 'JWKS URL discovered');
    return remoteKeyResolver({ ...options, url });
  }

  function resolve(): Promise<KeyResolver> {
    if (inner) return Promise.resolve(inner);
    if (Date.now() - lastFailureMs < retryMs) {
      return Promise.reject(
        new AuthError(
          'AUTH_JWKS_UNAVAILABLE',
          `OpenID discovery at ${discoveryUrl} failed recently`,
        ),
      );
    }
    pending ??= discover().then(
      (resolver) => {
        inner = resolver;
        return resolver;
      },
      (err: unknown) => {
        lastFailureMs = Date.now();
        pending = undefined;
        logger.error(
          { discoveryUrl, err: { name: (err as Error).name, message: (err as Error).message } },
          'OpenID discovery failed',
        );
        throw new AuthError('AUTH_JWKS_UNAVAILABLE', `OpenID discovery at ${discoveryUrl} failed`, {
          cause: err,
        });
      },
    );
    return pending;
  }

  return {
    async getKey(header, token) {
      return (await resolve()).getKey(header, token);
    },
    needsRevalidation() {
      return inner?.needsRevalidation() ?? false;
    },
  };
}
