import type { MiddlewareHandler } from 'hono';
import type { PrincipalLike } from '../types.js';

/** Stands in for the auth middleware: the principal comes from `x-user` / `x-tenant`. */
export function principalFromHeaders(): MiddlewareHandler<{
  Variables: { principal?: PrincipalLike };
}> {
  return async function testPrincipal(c, next) {
    const sub = c.req.header('x-user');
    const tenant = c.req.header('x-tenant');
    if (sub || tenant) c.set('principal', { sub, tenant });
    await next();
  };
}

/** A logger that keeps what it is given. */
export function memoryLogger() {
  const warnings: Array<{ obj: Record<string, unknown>; msg: string | undefined }> = [];
  return {
    warnings,
    warn(obj: object, msg?: string) {
      warnings.push({ obj: obj as Record<string, unknown>, msg });
    },
  };
}
