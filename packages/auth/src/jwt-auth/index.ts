import type { MiddlewareHandler } from 'hono';
import type { JSONWebKeySet, JWTVerifyOptions } from 'jose';
import { errors, jwtVerify } from 'jose';
import { AuthError } from '../errors.js';
import { AUTH_UNAVAILABLE, deny, UNAUTHORIZED } from '../http.js';
import { isAuthLogger, stderrLogger } from '../logger.js';
import type { AuthLogger, AuthVariables, ClaimPath } from '../types.js';
import {
  discoveringKeyResolver,
  type KeyResolver,
  localKeyResolver,
  remoteKeyResolver,
} from './key-resolver.js';
import { toPrincipal } from './principal.js';
import { TokenCache } from './token-cache.js';

/** Asymmetric JWS algorithms accepted by default. `none` and HMAC (`HS*`) are never accepted. */
export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
  'Ed25519',
]);

/**
 * Options of {@link jwtAuth}. Give `jwksUri` or `jwks`; with neither, the JWKS URL is read from
 * the issuer's OpenID discovery document on first use.
 */
export interface JwtAuthOptions {
  /** Expected `iss`: the issuer URL exactly as the IdP writes it (one, or a list). */
  issuer: string | readonly string[];
  /** Expected `aud`: the token must name at least one of these audiences. */
  audience: string | readonly string[];
  /**
   * URL of the issuer's JSON Web Key Set, fetched and cached (with refetch on unknown `kid`).
   * Default: `jwks_uri` of `<issuer>/.well-known/openid-configuration`.
   */
  jwksUri?: string | URL;
  /** A fixed JSON Web Key Set of public keys, instead of `jwksUri`. */
  jwks?: JSONWebKeySet;
  /** Accepted signature algorithms; asymmetric only. Default: {@link DEFAULT_ALGORITHMS}. */
  algorithms?: readonly string[];
  /** Leeway for `exp`, `nbf` and `iat` checks, in seconds. Default: `5`. */
  clockToleranceSeconds?: number;
  /** Tokens longer than this many bytes are rejected before any parsing. Default: `8192`. */
  maxTokenBytes?: number;
  /** Claims that must be present besides `iss`, `aud`, `exp` and `sub`. Default: `[]`. */
  requiredClaims?: readonly string[];
  /**
   * Expected `typ` header, e.g. `at+jwt` for RFC 9068 access tokens (compared as jose does:
   * case-insensitive, an `application/` prefix ignored). A token without `typ` or with another
   * one is refused. Default: not checked.
   */
  typ?: string;
  /**
   * Oldest accepted token, in seconds since its `iat` (which then becomes required), whatever its
   * `exp` says. Cached tokens are dropped at that age too. Default: not checked (only `exp`).
   */
  maxTokenAgeSeconds?: number;
  /** Claim holding the tenant id. Default: `'tenant'`. */
  tenantClaim?: ClaimPath;
  /** Claim holding the roles (array or space-separated string). Default: `'roles'`. */
  rolesClaim?: ClaimPath;
  /** Claims holding scopes, merged (string space-separated, or array). Default: `['scope', 'scp']`. */
  scopeClaims?: readonly ClaimPath[];
  /**
   * Cache of verified tokens (keyed by the whole token, never served past `exp`, cleared when the
   * key set changes). `false` turns it off. Default: `{ maxEntries: 10_000 }`.
   */
  tokenCache?: false | { maxEntries?: number };
  /** Time allowed for one JWKS fetch, in milliseconds. Default: `5_000`. */
  jwksTimeoutMs?: number;
  /** Least time between two JWKS fetches (also after a failed fetch), in ms. Default: `30_000`. */
  jwksCooldownMs?: number;
  /** Age after which the JWKS is fetched again before use, in milliseconds. Default: `600_000`. */
  jwksCacheMaxAgeMs?: number;
  /** `fetch` used for the JWKS. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** `realm` of the `WWW-Authenticate` challenge. Default: none. */
  realm?: string;
  /** Receives the audit line of every denied request and JWKS trouble. Default: JSON lines on stderr. */
  logger?: AuthLogger;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function nonNegative(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new AuthError('invalid_options', `${name} must be a non-negative number, got ${value}`);
  }
  return value;
}

function nonEmptyList(name: string, value: string | readonly string[]): string[] {
  const list = typeof value === 'string' ? [value] : [...value];
  if (list.length === 0 || list.some((item) => typeof item !== 'string' || item.length === 0)) {
    throw new AuthError('invalid_options', `${name} must be a non-empty string or list of strings`);
  }
  return list;
}

function checkAlgorithms(algorithms: readonly string[]): string[] {
  if (algorithms.length === 0) {
    throw new AuthError('invalid_options', 'algorithms must not be empty');
  }
  for (const alg of algorithms) {
    if (!DEFAULT_ALGORITHMS.includes(alg)) {
      throw new AuthError(
        'invalid_options',
        `algorithm ${JSON.stringify(alg)} is not allowed: use asymmetric algorithms only (${DEFAULT_ALGORITHMS.join(', ')})`,
      );
    }
  }
  return [...algorithms];
}

function jwksUrl(value: string | URL): URL {
  const url = URL.parse(String(value));
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new AuthError('invalid_options', `jwksUri must be an http(s) URL, got ${String(value)}`);
  }
  return url;
}

/** Maps a jose verification error to a log reason; nothing of it reaches the client. */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) {
    return err.claim === 'iat' ? 'token_too_old' : 'token_expired';
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'issuer_mismatch';
    if (err.claim === 'aud') return 'audience_mismatch';
    if (err.claim === 'nbf') return 'token_not_yet_valid';
    if (err.claim === 'typ') return 'type_mismatch';
    return err.reason === 'missing' ? 'claim_missing' : 'claim_invalid';
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'unknown_kid';
  if (err instanceof errors.JWKSMultipleMatchingKeys) return 'bad_signature';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid)
    return 'malformed_token';
  if (err instanceof errors.JOSENotSupported) return 'unsupported_token';
  return 'verification_failed';
}

function errFields(err: unknown): object {
  if (!(err instanceof Error)) return { err: { message: String(err) } };
  const code = (err as { code?: unknown }).code;
  const claim = (err as { claim?: unknown }).claim;
  return {
    err: { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) },
    ...(typeof claim === 'string' ? { claim } : {}),
  };
}

/**
 * Hono middleware that requires a valid bearer JWT. The token is verified with jose against the
 * issuer's JWKS (or a fixed key set): signature with an allowed asymmetric algorithm, `iss`,
 * `aud`, `exp`, `nbf` with a small clock tolerance, and `sub` present. On success the verified
 * caller is `c.var.principal`; on failure the answer is 401 problem+json with a
 * `WWW-Authenticate: Bearer` challenge (503 when no key set could ever be fetched), the handler
 * does not run, and an `auth.denied` audit line with the reason goes to `logger`.
 *
 * @param options - see {@link JwtAuthOptions}
 * @param options.issuer - expected `iss`
 * @param options.audience - expected `aud`
 * @param [options.jwksUri] - issuer's JWKS URL
 * @param [options.typ] - expected `typ` header, e.g. `'at+jwt'`; not checked by default
 * @param [options.maxTokenAgeSeconds] - oldest accepted `iat`, in seconds; not checked by default
 * @param [options.tokenCache={ maxEntries: 10_000 }] - verified-token cache, `false` to disable
 * @throws {AuthError} code `invalid_options` when an option is missing or invalid
 * @example
 * const app = new Hono<{ Variables: AuthVariables }>();
 * app.use('/api/*', jwtAuth({
 *   issuer: 'https://id.example.com',
 *   audience: 'where2eat',
 *   jwksUri: 'https://id.example.com/jwks',
 *   logger,
 * }));
 * app.get('/api/me', (c) => c.json({ sub: c.var.principal.sub }));
 */
export function jwtAuth(options: JwtAuthOptions): MiddlewareHandler<{ Variables: AuthVariables }> {
  if (typeof options !== 'object' || options === null) {
    throw new AuthError('invalid_options', 'jwtAuth options are required');
  }
  const {
    algorithms = DEFAULT_ALGORITHMS,
    clockToleranceSeconds = 5,
    maxTokenBytes = 8192,
    requiredClaims = [],
    typ,
    maxTokenAgeSeconds,
    tenantClaim = 'tenant',
    rolesClaim = 'roles',
    scopeClaims = ['scope', 'scp'],
    tokenCache = {},
    jwksTimeoutMs = 5_000,
    jwksCooldownMs = 30_000,
    jwksCacheMaxAgeMs = 600_000,
    realm,
    logger = stderrLogger,
  } = options;
  const issuer = nonEmptyList('issuer', options.issuer);
  const audience = nonEmptyList('audience', options.audience);
  nonNegative('clockToleranceSeconds', clockToleranceSeconds);
  nonNegative('maxTokenBytes', maxTokenBytes, true);
  nonNegative('jwksTimeoutMs', jwksTimeoutMs, true);
  nonNegative('jwksCooldownMs', jwksCooldownMs);
  nonNegative('jwksCacheMaxAgeMs', jwksCacheMaxAgeMs);
  if (maxTokenAgeSeconds !== undefined) nonNegative('maxTokenAgeSeconds', maxTokenAgeSeconds);
  if (typ !== undefined && (typeof typ !== 'string' || typ.length === 0)) {
    throw new AuthError('invalid_options', 'typ must be a non-empty string');
  }
  if (!isAuthLogger(logger)) {
    throw new AuthError('invalid_options', 'logger must have info, warn and error methods');
  }
  if (options.jwksUri !== undefined && options.jwks !== undefined) {
    throw new AuthError('invalid_options', 'give jwksUri or jwks, not both');
  }
  if (options.jwksUri === undefined && options.jwks === undefined) {
    if (issuer.length !== 1 || !URL.parse(issuer[0] as string)) {
      throw new AuthError(
        'invalid_options',
        'without jwksUri or jwks, issuer must be one URL (its discovery document names the JWKS)',
      );
    }
  }
  if (realm !== undefined && !/^[\x20-\x7e]*$/.test(realm.replaceAll('"', ''))) {
    throw new AuthError('invalid_options', 'realm must be printable ASCII');
  }
  let cache: TokenCache | undefined;
  if (tokenCache !== false) {
    const { maxEntries = 10_000 } = tokenCache;
    nonNegative('tokenCache.maxEntries', maxEntries, true);
    if (maxEntries > 0) cache = new TokenCache(maxEntries);
  }

  const remote = {
    timeoutMs: jwksTimeoutMs,
    cooldownMs: jwksCooldownMs,
    cacheMaxAgeMs: jwksCacheMaxAgeMs,
    fetch: options.fetch,
    logger,
    onChange: () => cache?.clear(),
  };
  let resolver: KeyResolver;
  if (options.jwks !== undefined) {
    try {
      resolver = localKeyResolver(options.jwks);
    } catch (cause) {
      throw new AuthError('invalid_options', 'jwks is not a valid JSON Web Key Set', { cause });
    }
  } else if (options.jwksUri !== undefined) {
    resolver = remoteKeyResolver({ ...remote, url: jwksUrl(options.jwksUri) });
  } else resolver = discoveringKeyResolver({ ...remote, issuer: issuer[0] as string });

  const verifyOptions: JWTVerifyOptions = {
    issuer,
    audience,
    algorithms: checkAlgorithms(algorithms),
    clockTolerance: clockToleranceSeconds,
    requiredClaims: [...new Set(['exp', 'sub', ...requiredClaims])],
    ...(typ !== undefined ? { typ } : {}),
    ...(maxTokenAgeSeconds !== undefined ? { maxTokenAge: maxTokenAgeSeconds } : {}),
  };
  const mapping = { tenantClaim, rolesClaim, scopeClaims };
  const realmPart = realm !== undefined ? `realm="${realm.replaceAll('"', '')}", ` : '';
  const missingChallenge = {
    'WWW-Authenticate': realm !== undefined ? `Bearer ${realmPart.slice(0, -2)}` : 'Bearer',
  };
  const invalidChallenge = { 'WWW-Authenticate': `Bearer ${realmPart}error="invalid_token"` };
  // "Bearer " plus the token plus a little whitespace.
  const maxHeaderLength = maxTokenBytes + 16;

  return async function jwtAuthMiddleware(c, next) {
    c.set('authLogger', logger);
    const header = c.req.header('Authorization');
    if (header === undefined || header.length === 0) {
      return deny(c, logger, UNAUTHORIZED, 'missing_token', { headers: missingChallenge });
    }
    if (header.length > maxHeaderLength) {
      return deny(c, logger, UNAUTHORIZED, 'oversize_token', {
        headers: invalidChallenge,
        logFields: { length: header.length },
      });
    }
    const match = BEARER.exec(header);
    const token = match?.[1];
    if (token === undefined) {
      const bearer = /^bearer(?: |$)/i.test(header);
      return deny(c, logger, UNAUTHORIZED, bearer ? 'malformed_token' : 'unsupported_scheme', {
        headers: bearer ? invalidChallenge : missingChallenge,
      });
    }
    if (token.length > maxTokenBytes) {
      return deny(c, logger, UNAUTHORIZED, 'oversize_token', {
        headers: invalidChallenge,
        logFields: { length: token.length },
      });
    }

    if (cache !== undefined) {
      const hit = cache.get(token, Date.now());
      if (hit !== undefined && !resolver.needsRevalidation()) {
        c.set('principal', hit);
        return next();
      }
    }

    const generation = cache?.generation ?? 0;
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, resolver.getKey, verifyOptions));
    } catch (err) {
      if (err instanceof AuthError && err.code === 'jwks_unavailable') {
        return deny(c, logger, AUTH_UNAVAILABLE, 'jwks_unavailable', {
          headers: { 'Retry-After': String(Math.max(1, Math.ceil(jwksCooldownMs / 1000))) },
          logFields: errFields(err),
        });
      }
      return deny(c, logger, UNAUTHORIZED, reasonOf(err), {
        headers: invalidChallenge,
        logFields: errFields(err),
      });
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      return deny(c, logger, UNAUTHORIZED, 'claim_invalid', {
        headers: invalidChallenge,
        logFields: { claim: 'sub' },
      });
    }
    const principal = toPrincipal(payload, mapping);
    // Never served from the cache past exp, nor past the maximum age when one is set.
    const expiresAtMs =
      maxTokenAgeSeconds === undefined
        ? (payload.exp as number) * 1000
        : Math.min(payload.exp as number, (payload.iat as number) + maxTokenAgeSeconds) * 1000;
    cache?.set(token, principal, expiresAtMs, generation, Date.now());
    c.set('principal', principal);
    return next();
  };
}
