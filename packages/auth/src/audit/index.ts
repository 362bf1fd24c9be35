import type { Context } from 'hono';
import { AuthError } from '../errors.js';
import { requestFields } from '../http.js';
import type { AuthLogger, Principal } from '../types.js';

/**
 * Writes one structured audit line for a privileged action:
 * `{ audit: true, event, sub, tenant, clientId, requestId, method, path, ...fields }` at `info`.
 * The caller comes from `c.var.principal` when `jwtAuth` ran; the logger is the one given to
 * `jwtAuth`, unless `logger` is passed here.
 *
 * @param c - the Hono context of the request
 * @param event - a stable dotted event name, e.g. `group.deleted`
 * @param [fields={}] - extra fields (ids, never secrets or tokens)
 * @param [logger] - logger to write to instead of the one `jwtAuth` put on the context
 * @throws {AuthError} code `AUTH_NO_AUDIT_LOGGER` when no logger is known: an audit line is never dropped silently
 * @example
 * audit(c, 'group.deleted', { groupId });
 */
export function audit(
  c: Context,
  event: string,
  fields: Record<string, unknown> = {},
  logger?: AuthLogger,
): void {
  const target = logger ?? (c.get('authLogger') as AuthLogger | undefined);
  if (target === undefined) {
    throw new AuthError(
      'AUTH_NO_AUDIT_LOGGER',
      'audit() needs a logger: mount jwtAuth on this route or pass one as the fourth argument',
    );
  }
  const principal = c.get('principal') as Principal | undefined;
  target.info({ ...fields, audit: true, event, ...requestFields(c, principal) }, event);
}
