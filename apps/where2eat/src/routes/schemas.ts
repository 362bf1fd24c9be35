import { z } from '@hono/zod-openapi';
import { CUISINES } from '../domain/cuisines.js';

export const CuisineSchema = z.enum(CUISINES).openapi('Cuisine');

// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern exists to refuse them
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

/**
 * The string every request field is built from: `base` (default `z.string()`) refusing NUL and
 * the other C0 control characters and DEL (U+0000–U+001F, U+007F) with 422. PostgreSQL `text`
 * cannot hold U+0000 (the driver would fail with a 500), and no name, id or key needs the
 * others. The pattern is in the OpenAPI document too.
 *
 * @example
 * const name = text(z.string().trim()).min(1).max(80);
 */
export function text(base: z.ZodString = z.string()): z.ZodString {
  return base.regex(
    NO_CONTROL_CHARACTERS,
    'must not contain control characters (U+0000–U+001F, U+007F)',
  );
}

const name = text(z.string().trim()).min(1).max(80);

export const GroupIdParams = z.object({
  groupId: z.uuid().openapi({ param: { name: 'groupId', in: 'path' } }),
});

export const MemberIdParams = GroupIdParams.extend({
  memberId: z.uuid().openapi({ param: { name: 'memberId', in: 'path' } }),
});

export const CreateGroupBody = z
  .strictObject({ name: name.openapi({ example: 'Friday lunch' }) })
  .openapi('CreateGroup');

export const RenameGroupBody = z.strictObject({ name }).openapi('RenameGroup');

export const AddMemberBody = z
  .strictObject({
    name: name.openapi({ example: 'Alice' }),
    userSub: text().min(1).max(255).nullable().optional().openapi({
      description:
        'Subject of the user this member is. Omitted: the caller. null: a guest without an account.',
    }),
  })
  .openapi('AddMember');

export const PreferencesBody = z
  .strictObject({
    likes: z
      .array(CuisineSchema)
      .max(CUISINES.length)
      .refine((list) => new Set(list).size === list.length, 'must not repeat a cuisine')
      .openapi({ description: 'Most wanted first.' }),
    vetoes: z
      .array(CuisineSchema)
      .max(CUISINES.length)
      .refine((list) => new Set(list).size === list.length, 'must not repeat a cuisine'),
  })
  .refine((body) => !body.likes.some((c) => body.vetoes.includes(c)), {
    message: 'a cuisine cannot be both liked and vetoed',
    path: ['vetoes'],
  })
  .openapi('Preferences');

export const ListGroupsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

export const MemberSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    userSub: z.string().nullable(),
    likes: z.array(CuisineSchema),
    vetoes: z.array(CuisineSchema),
  })
  .openapi('Member');

export const GroupSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    ownerSub: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    members: z.array(MemberSchema),
  })
  .openapi('Group');

export const GroupListSchema = z
  .object({
    items: z.array(GroupSchema.omit({ members: true })),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .openapi('GroupList');

export const RecommendationSchema = z
  .object({
    groupId: z.uuid(),
    algorithm: z.enum(['v1', 'v2']),
    cuisine: CuisineSchema.nullable(),
    reason: z.enum(['best-score', 'no-members', 'all-vetoed', 'no-preferences']),
    ranking: z.array(z.object({ cuisine: CuisineSchema, score: z.number(), likedBy: z.number() })),
    vetoed: z.array(CuisineSchema),
  })
  .openapi('Recommendation');

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() }))
      .optional(),
  })
  .openapi('Problem');

/** A problem+json response for the OpenAPI document. */
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** Error responses every `/v1` route can give. */
export const commonErrors = {
  400: problem('Malformed request (e.g. invalid JSON).'),
  401: problem('Missing, expired or invalid bearer token (`WWW-Authenticate` says which).'),
  403: problem(
    "The token lacks the operation's scope (`WWW-Authenticate` names it) or names no tenant, or the caller may not do this.",
  ),
  404: problem('Not found.'),
  413: problem('Body too large.'),
  422: problem('Validation failed; `errors` lists each field.'),
  429: problem('A rate limit or quota is exhausted; retry after `Retry-After` seconds.'),
  500: problem('Unexpected error; no internals are exposed.'),
  503: problem('A dependency (database) is unavailable.'),
  504: problem('The request timed out.'),
} as const;

export const idempotencyHeader = z.object({
  'idempotency-key': text()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description: 'Retries with the same key replay the first response instead of creating again.',
    }),
});

export const CuisineListSchema = z.object({ items: z.array(CuisineSchema) }).openapi('CuisineList');
