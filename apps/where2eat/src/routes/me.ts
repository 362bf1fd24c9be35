import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { audit } from '@micro-app/auth';
import { validationHook } from '@micro-app/server';
import type { AppEnv } from '../http/types.js';
import { commonErrors, jsonResponse } from './schemas.js';
import { scoped } from './scopes.js';

const count = () => z.number().int().min(0).max(2_147_483_647).openapi({ format: 'int32' });

export const ErasureSchema = z
  .object({
    groups: count().openapi({
      description: 'Groups the caller owned, deleted with their members.',
    }),
    memberships: count().openapi({
      description: "The caller's memberships in other groups, with their preferences.",
    }),
    idempotencyKeys: count().openapi({
      description: "Responses stored for the caller's Idempotency-Keys.",
    }),
  })
  .openapi('Erasure');

/** `/v1/me`: what the API keeps about the caller, and its erasure (docs/data.md). */
export function meRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/me',
      tags: ['me'],
      ...scoped('groups:write'),
      operationId: 'eraseMe',
      summary: "Erase the caller's data in their tenant",
      description:
        "Deletes the groups the caller owns (with their members), the caller's memberships and preferences in other groups, and the responses stored for the caller's Idempotency-Keys, in one transaction, and writes a `user.erased` audit line. Nothing of the caller is left in the database; doing it again deletes nothing.",
      responses: { 200: jsonResponse(ErasureSchema, 'What was deleted.'), ...commonErrors },
    }),
    async (c) => {
      const erased = await c.get('groups').eraseCaller();
      audit(c, 'user.erased', { ...erased });
      return c.json(erased, 200);
    },
  );
  return app;
}
