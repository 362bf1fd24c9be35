import { requireScope } from '@micro-app/auth';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/types.js';

/**
 * The OAuth scopes of the where2eat API and what each allows. A route needs exactly one of them;
 * a token without it gets 403 problem+json with `WWW-Authenticate: Bearer
 * error="insufficient_scope", scope="…"`. The dev IdP grants them (apps/dev-idp).
 */
export const API_SCOPES = {
  'cuisines:read': 'Read the cuisine list.',
  'groups:read': "Read the caller's tenant's groups, their members and recommendations.",
  'groups:write': 'Create, rename and delete groups; add and remove members; record preferences.',
} as const;

export type ApiScope = keyof typeof API_SCOPES;

/** The bearer security scheme of the OpenAPI document; its description lists the scopes. */
export const bearerAuthScheme = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description: [
    'An RFC 9068 access token (`typ: at+jwt`) from the identity provider, signed with an asymmetric algorithm and verified as RFC8725 (JWT best current practices) recommends (the algorithm is pinned, never `none`; `iss`, `aud`, `exp` and `typ` are checked), with `sub`, `tenant` and the scope the operation names.',
    'Each operation lists its scope in its security requirement (role names of a bearer scheme, as OpenAPI 3.1 allows): the API accepts such a token however it was obtained (client credentials, authorization code, token exchange).',
    '',
    'Scopes:',
    '',
    ...Object.entries(API_SCOPES).map(([scope, what]) => `- \`${scope}\`: ${what}`),
  ].join('\n'),
} as const;

/**
 * What a route needs for `scope`, from one declaration: the OpenAPI security requirement and
 * the middleware that enforces it (`requireScope` of `@micro-app/auth`).
 *
 * @example
 * createRoute({ method: 'post', path: '/groups', ...scoped('groups:write'), ... })
 */
export function scoped(scope: ApiScope): {
  security: Array<Record<'bearerAuth', string[]>>;
  middleware: MiddlewareHandler<AppEnv>;
} {
  return {
    security: [{ bearerAuth: [scope] }],
    middleware: requireScope(scope) as unknown as MiddlewareHandler<AppEnv>,
  };
}
