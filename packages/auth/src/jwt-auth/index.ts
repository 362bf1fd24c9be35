import type { MiddlewareHandler } from 'hono';
import type { JWTVerifyOptions } from 'jose';
import { errors, jwtVerify } from 'jose';
import { AuthError } from '../errors.js';
import { AUTH_UNAVAILABLE, deny, UNAUTHORIZED } from '../http.js';
import type { AuthVariables } from '../types.js';
import {
  discoveringKeyResolver,
  type KeyResolver,
  localKeyResolver,
  remoteKeyResolver,
} from './key-resolver.js';
import { type JwtAuthOptions, resolveJwtAuthOptions } from './options.js';
import { toPrincipal } from './principal.js';
import { TokenCache } from './token-cache.js';

export type { JwtAuthOptions } from './options.js';
export { DEFAULT_ALGORITHMS } from './options.js';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

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
 * @throws {AuthError} code `AUTH_INVALID_OPTIONS` when an option is missing or invalid
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
  const resolved = resolveJwtAuthOptions(options);
  const { keys, maxTokenBytes, maxTokenAgeSeconds, jwksCooldownMs, realm, logger } = resolved;
  const cache =
    resolved.tokenCacheMaxEntries > 0 ? new TokenCache(resolved.tokenCacheMaxEntries) : undefined;

  const remote = {
    timeoutMs: resolved.jwksTimeoutMs,
    cooldownMs: jwksCooldownMs,
    cacheMaxAgeMs: resolved.jwksCacheMaxAgeMs,
    fetch: resolved.fetch,
    logger,
    onChange: () => cache?.clear(),
  };
  let resolver: KeyResolver;
  if (keys.kind === 'jwks') resolver = localKeyResolver(keys.jwks);
  else if (keys.kind === 'jwksUri') resolver = remoteKeyResolver({ ...remote, url: keys.url });
  else resolver = discoveringKeyResolver({ ...remote, issuer: keys.issuer });

  const verifyOptions: JWTVerifyOptions = {
    issuer: [...resolved.issuer],
    audience: [...resolved.audience],
    algorithms: [...resolved.algorithms],
    clockTolerance: resolved.clockToleranceSeconds,
    requiredClaims: [...resolved.requiredClaims],
    ...(resolved.typ !== undefined ? { typ: resolved.typ } : {}),
    ...(maxTokenAgeSeconds !== undefined ? { maxTokenAge: maxTokenAgeSeconds } : {}),
  };
  const mapping = {
    tenantClaim: resolved.tenantClaim,
    rolesClaim: resolved.rolesClaim,
    scopeClaims: resolved.scopeClaims,
  };
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
      if (err instanceof AuthError && err.code === 'AUTH_JWKS_UNAVAILABLE') {
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
