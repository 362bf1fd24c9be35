import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { AuthError } from '../errors.js';
import { isAuthLogger, stderrLogger } from '../logger.js';
import type { AuthLogger, ClaimPath } from '../types.js';

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

/** Where {@link jwtAuth}'s verification keys come from. */
export type JwtKeySource =
  | { readonly kind: 'jwks'; readonly jwks: JSONWebKeySet }
  | { readonly kind: 'jwksUri'; readonly url: URL }
  | { readonly kind: 'discovery'; readonly issuer: string };

/** {@link JwtAuthOptions} checked, with every default applied. */
export interface ResolvedJwtAuthOptions {
  readonly issuer: readonly string[];
  readonly audience: readonly string[];
  readonly keys: JwtKeySource;
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds: number;
  readonly maxTokenBytes: number;
  /** The given claims plus `exp` and `sub`, each once. */
  readonly requiredClaims: readonly string[];
  readonly typ: string | undefined;
  readonly maxTokenAgeSeconds: number | undefined;
  readonly tenantClaim: ClaimPath;
  readonly rolesClaim: ClaimPath;
  readonly scopeClaims: readonly ClaimPath[];
  /** Size of the verified-token cache; `0` when it is off. */
  readonly tokenCacheMaxEntries: number;
  readonly jwksTimeoutMs: number;
  readonly jwksCooldownMs: number;
  readonly jwksCacheMaxAgeMs: number;
  readonly fetch: typeof fetch | undefined;
  readonly realm: string | undefined;
  readonly logger: AuthLogger;
}

function invalid(message: string, options?: { cause?: unknown }): never {
  throw new AuthError('AUTH_INVALID_OPTIONS', message, options);
}

function nonNegative(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    invalid(`${name} must be a non-negative number, got ${value}`);
  }
  return value;
}

function nonEmptyList(name: string, value: string | readonly string[]): string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? [...value] : [];
  if (list.length === 0 || list.some((item) => typeof item !== 'string' || item.length === 0)) {
    invalid(`${name} must be a non-empty string or list of strings`);
  }
  return list;
}

function checkAlgorithms(algorithms: readonly string[]): string[] {
  if (algorithms.length === 0) {
    invalid('algorithms must not be empty');
  }
  for (const alg of algorithms) {
    if (!DEFAULT_ALGORITHMS.includes(alg)) {
      invalid(
        `algorithm ${JSON.stringify(alg)} is not allowed: use asymmetric algorithms only (${DEFAULT_ALGORITHMS.join(', ')})`,
      );
    }
  }
  return [...algorithms];
}

function jwksUrl(value: string | URL): URL {
  const url = URL.parse(String(value));
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    invalid(`jwksUri must be an http(s) URL, got ${String(value)}`);
  }
  return url;
}

function keySource(options: JwtAuthOptions, issuer: readonly string[]): JwtKeySource {
  if (options.jwks !== undefined) {
    try {
      // Parsing is all it does: keys are imported on first use, so this stays free of I/O.
      createLocalJWKSet(options.jwks);
    } catch (cause) {
      invalid('jwks is not a valid JSON Web Key Set', { cause });
    }
    return { kind: 'jwks', jwks: options.jwks };
  }
  if (options.jwksUri !== undefined) return { kind: 'jwksUri', url: jwksUrl(options.jwksUri) };
  return { kind: 'discovery', issuer: issuer[0] as string };
}

/**
 * Checks the options of {@link jwtAuth} and applies their defaults, without any I/O.
 *
 * @throws {AuthError} `AUTH_INVALID_OPTIONS` naming the first invalid option
 */
export function resolveJwtAuthOptions(options: JwtAuthOptions): ResolvedJwtAuthOptions {
  if (typeof options !== 'object' || options === null) invalid('jwtAuth options are required');
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
    invalid('typ must be a non-empty string');
  }
  if (!isAuthLogger(logger)) invalid('logger must have info, warn and error methods');
  if (options.jwksUri !== undefined && options.jwks !== undefined) {
    invalid('give jwksUri or jwks, not both');
  }
  if (options.jwksUri === undefined && options.jwks === undefined) {
    if (issuer.length !== 1 || !URL.parse(issuer[0] as string)) {
      invalid(
        'without jwksUri or jwks, issuer must be one URL (its discovery document names the JWKS)',
      );
    }
  }
  if (
    realm !== undefined &&
    (typeof realm !== 'string' || !/^[\x20-\x7e]*$/.test(realm.replaceAll('"', '')))
  ) {
    invalid('realm must be printable ASCII');
  }
  if (tokenCache !== false && (typeof tokenCache !== 'object' || tokenCache === null)) {
    invalid('tokenCache must be false or { maxEntries }');
  }
  let tokenCacheMaxEntries = 0;
  if (tokenCache !== false) {
    const { maxEntries = 10_000 } = tokenCache;
    tokenCacheMaxEntries = nonNegative('tokenCache.maxEntries', maxEntries, true);
  }
  const keys = keySource(options, issuer);
  return Object.freeze({
    issuer: Object.freeze(issuer),
    audience: Object.freeze(audience),
    keys: Object.freeze(keys),
    algorithms: Object.freeze(checkAlgorithms(algorithms)),
    clockToleranceSeconds,
    maxTokenBytes,
    requiredClaims: Object.freeze([...new Set(['exp', 'sub', ...requiredClaims])]),
    typ,
    maxTokenAgeSeconds,
    tenantClaim,
    rolesClaim,
    scopeClaims,
    tokenCacheMaxEntries,
    jwksTimeoutMs,
    jwksCooldownMs,
    jwksCacheMaxAgeMs,
    fetch: options.fetch,
    realm,
    logger,
  });
}
