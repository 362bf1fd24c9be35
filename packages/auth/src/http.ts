import { problemResponse, problemType } from '@micro-app/problem';
import type { Context } from 'hono';
import type { AuthLogger, Principal } from './types.js';

interface DeniedProblem {
  status: 401 | 403 | 503;
  slug: string;
  title: string;
  detail: string;
}

export const UNAUTHORIZED: DeniedProblem = {
  status: 401,
  slug: 'unauthorized',
  title: 'Unauthorized',
  detail: 'A valid bearer token is required.',
};

export const FORBIDDEN: DeniedProblem = {
  status: 403,
  slug: 'forbidden',
  title: 'Forbidden',
  detail: 'The token does not grant access to this resource.',
};

export const AUTH_UNAVAILABLE: DeniedProblem = {
  status: 503,
  slug: 'auth-unavailable',
  title: 'Service Unavailable',
  detail: 'Token verification is temporarily unavailable.',
};

/** The request id set by `hono/request-id` (or any middleware using the same key). */
export function requestIdOf(c: Context): string | undefined {
  const id: unknown = c.get('requestId');
  return typeof id === 'string' ? id : undefined;
}

/** The fields every audit line carries about the request and, when known, the caller. */
export function requestFields(c: Context, principal?: Principal): Record<string, unknown> {
  return {
    ...(principal
      ? {
          sub: principal.sub,
          ...(principal.tenant !== undefined ? { tenant: principal.tenant } : {}),
          ...(principal.clientId !== undefined ? { clientId: principal.clientId } : {}),
        }
      : {}),
    requestId: requestIdOf(c),
    method: c.req.method,
    path: c.req.path,
  };
}

/**
 * Writes the `auth.denied` audit line and answers with problem+json. The body says nothing about
 * why; the reason goes to the log only.
 */
export function deny(
  c: Context,
  logger: AuthLogger,
  problem: DeniedProblem,
  reason: string,
  options: { principal?: Principal; headers?: Record<string, string>; logFields?: object } = {},
): Response {
  const entry = {
    audit: true,
    event: 'auth.denied',
    reason,
    status: problem.status,
    ...requestFields(c, options.principal),
    ...options.logFields,
  };
  if (problem.status === 503) logger.error(entry, 'request denied: token verification unavailable');
  else logger.warn(entry, 'request denied');
  return problemResponse(
    c,
    {
      type: problemType(problem.slug),
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
    },
    { ...options.headers, 'Cache-Control': 'no-store' },
  );
}
