import type { Context } from 'hono';
import type { FlagContext } from './types.js';

/**
 * The principal shape the flags read, structurally: any auth middleware that sets
 * `c.var.principal` with a string `sub` (and optionally `tenant`) fits.
 */
export interface FlagsPrincipal {
  sub?: string;
  tenant?: string;
}

/** Builds extra context fields from the request (e.g. `remoteAddress`). */
export type FlagContextResolver = (c: Context) => FlagContext;

/**
 * The Unleash context of a request: `userId` from `c.var.principal.sub`, the `tenant` property
 * from `c.var.principal.tenant`, `sessionId` from `c.var.requestId`, then `extra(c)` on top.
 */
export function requestFlagContext(c: Context, extra?: FlagContextResolver): FlagContext {
  // c.get, not c.var: Hono builds a new object of every variable on each c.var read.
  const get = c.get as (key: string) => unknown;
  const principal = get('principal') as FlagsPrincipal | undefined;
  const requestId = get('requestId');
  const context: FlagContext = {};
  if (typeof principal?.sub === 'string' && principal.sub !== '') context.userId = principal.sub;
  if (typeof requestId === 'string' && requestId !== '') context.sessionId = requestId;
  if (typeof principal?.tenant === 'string' && principal.tenant !== '') {
    context.properties = { tenant: principal.tenant };
  }
  if (!extra) return context;
  const added = extra(c);
  return {
    ...context,
    ...added,
    properties: { ...context.properties, ...added.properties },
  };
}
