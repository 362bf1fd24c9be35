import type { Context, MiddlewareHandler } from 'hono';
import { AuthError } from '../errors.js';
import { deny, FORBIDDEN, UNAUTHORIZED } from '../http.js';
import { stderrLogger } from '../logger.js';
import type { AuthLogger, AuthVariables, Principal } from '../types.js';

function checkNames(kind: string, names: string[]): void {
  if (names.length === 0 || names.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new AuthError('AUTH_INVALID_OPTIONS', `${kind} needs at least one non-empty name`);
  }
}

function context(c: Context): { principal: Principal | undefined; logger: AuthLogger } {
  const principal = c.get('principal') as Principal | undefined;
  const logger = (c.get('authLogger') as AuthLogger | undefined) ?? stderrLogger;
  return { principal, logger };
}

/**
 * Requires every listed scope on the verified token (`c.var.principal.scopes`). Mount it after
 * `jwtAuth`. Without the scopes: 403 problem+json with
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"` and an `auth.denied` audit line.
 * Without a principal (jwtAuth not mounted): 401, failing closed.
 *
 * @param scopes - scopes that must all be present
 * @throws {AuthError} code `AUTH_INVALID_OPTIONS` when no scope is given
 * @example
 * app.post('/api/groups', requireScope('groups:write'), handler);
 */
export function requireScope(...scopes: string[]): MiddlewareHandler<{ Variables: AuthVariables }> {
  checkNames('requireScope', scopes);
  const challenge = {
    'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scopes.join(' ').replaceAll('"', '')}"`,
  };
  return async function requireScopeMiddleware(c, next) {
    const { principal, logger } = context(c);
    if (principal === undefined) {
      return deny(c, logger, UNAUTHORIZED, 'no_principal', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    const missing = scopes.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) {
      return deny(c, logger, FORBIDDEN, 'insufficient_scope', {
        principal,
        headers: challenge,
        logFields: { required: scopes, missing },
      });
    }
    return next();
  };
}

/**
 * Requires at least one of the listed roles (`c.var.principal.roles`). Mount it after `jwtAuth`.
 * Without any of them: 403 problem+json and an `auth.denied` audit line. Without a principal: 401.
 *
 * @param roles - accepted roles; having any one of them is enough
 * @throws {AuthError} code `AUTH_INVALID_OPTIONS` when no role is given
 * @example
 * app.delete('/api/groups/:id', requireRole('admin'), handler);
 */
export function requireRole(...roles: string[]): MiddlewareHandler<{ Variables: AuthVariables }> {
  checkNames('requireRole', roles);
  return async function requireRoleMiddleware(c, next) {
    const { principal, logger } = context(c);
    if (principal === undefined) {
      return deny(c, logger, UNAUTHORIZED, 'no_principal', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    if (!roles.some((role) => principal.roles.includes(role))) {
      return deny(c, logger, FORBIDDEN, 'insufficient_role', {
        principal,
        logFields: { required: roles },
      });
    }
    return next();
  };
}
