import { z } from '@hono/zod-openapi';
import { CUISINES } from '../domain/cuisines.js';
import { RestaurantSchema, SUGGESTIONS_MAX } from '../restaurants/provider.js';

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

/** Longest group or member name. */
export const NAME_MAX = 80;
/** Longest subject (`sub`) or tenant the app accepts from a token or a request. */
export const SUBJECT_MAX = 255;
/** Longest Idempotency-Key. */
export const IDEMPOTENCY_KEY_MAX = 255;

const name = text(z.string().trim()).min(1).max(NAME_MAX);
/** A subject (`sub`) or tenant: from a token, or a member's `userSub` in a request. */
export const Subject = text().min(1).max(SUBJECT_MAX);
/** A string of a response body: bounded, and as free of control characters as the input was. */
const out = (max: number) => text().max(max);
/** A UUID; `max(36)` changes nothing it accepts and puts `maxLength` in the document. */
const uuid = () => z.uuid().max(36);
/** An RFC 3339 timestamp as the app writes it (`toISOString()`, 24 characters). */
const timestamp = () => z.iso.datetime().max(32);
/** Integers in the document say their format and bounds (OWASP API4). */
const int32 = (min: number, max: number) =>
  z.number().int().min(min).max(max).openapi({ format: 'int32' });

export const GroupIdParams = z.object({
  groupId: uuid().openapi({ param: { name: 'groupId', in: 'path' }, description: 'The group id.' }),
});

export const MemberIdParams = GroupIdParams.extend({
  memberId: uuid().openapi({
    param: { name: 'memberId', in: 'path' },
    description: 'The member id.',
  }),
});

export const CreateGroupBody = z
  .strictObject({ name: name.openapi({ example: 'Friday lunch' }) })
  .openapi('CreateGroup');

export const RenameGroupBody = z.strictObject({ name }).openapi('RenameGroup');

export const AddMemberBody = z
  .strictObject({
    name: name.openapi({ example: 'Alice' }),
    userSub: Subject.nullable().optional().openapi({
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

/** Largest page of `GET /v1/groups`. */
export const PAGE_MAX = 100;
/** Deepest offset of `GET /v1/groups`; beyond it, narrow the query instead. */
export const OFFSET_MAX = 10_000;
/** Most members a response lists (the app adds them one request at a time; this bounds the document). */
export const MEMBERS_MAX = 1_000;

export const ListGroupsQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(PAGE_MAX)
    .default(20)
    .openapi({ format: 'int32', description: 'Page size.' }),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(OFFSET_MAX)
    .default(0)
    .openapi({ format: 'int32', description: 'Groups to skip.' }),
});

const cuisines = () => z.array(CuisineSchema).max(CUISINES.length);

export const MemberSchema = z
  .object({
    id: uuid(),
    name: out(NAME_MAX),
    userSub: out(SUBJECT_MAX).nullable(),
    likes: cuisines(),
    vetoes: cuisines(),
  })
  .openapi('Member');

export const GroupSchema = z
  .object({
    id: uuid(),
    name: out(NAME_MAX),
    ownerSub: out(SUBJECT_MAX),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    members: z.array(MemberSchema).max(MEMBERS_MAX),
  })
  .openapi('Group');

export const GroupListSchema = z
  .object({
    items: z.array(GroupSchema.omit({ members: true })).max(PAGE_MAX),
    limit: int32(1, PAGE_MAX),
    offset: int32(0, OFFSET_MAX),
  })
  .openapi('GroupList');

export const SuggestionsSchema = z
  .object({
    status: z.enum([
      'ok',
      'budget-exhausted',
      'circuit-open',
      'bulkhead-full',
      'timeout',
      'failed',
    ]),
    source: z.enum(['provider', 'cache']).optional(),
    restaurants: z.array(RestaurantSchema).max(SUGGESTIONS_MAX),
  })
  .openapi('Suggestions');

export const RecommendationSchema = z
  .object({
    groupId: uuid(),
    algorithm: z.enum(['v1', 'v2']),
    // A union, not .nullable(): the generator renders a nullable $ref as allOf [ref, string|null],
    // which no null satisfies.
    cuisine: z.union([CuisineSchema, z.null()]),
    reason: z.enum(['best-score', 'no-members', 'all-vetoed', 'no-preferences']),
    ranking: z
      .array(
        z.object({
          cuisine: CuisineSchema,
          score: z.number(),
          likedBy: int32(0, MEMBERS_MAX),
        }),
      )
      .max(CUISINES.length),
    vetoed: cuisines(),
    suggestions: SuggestionsSchema.optional().openapi({
      description:
        'Restaurants for the recommended cuisine, when the `restaurant-suggestions` flag is on and there is a cuisine. A provider problem never fails the recommendation: `status` says why `restaurants` is empty.',
    }),
  })
  .openapi('Recommendation');

export const ProblemSchema = z
  .object({
    type: z
      .string()
      .max(256)
      .openapi({ format: 'uri-reference', example: 'urn:problem-type:validation-error' }),
    title: out(256),
    status: int32(400, 599),
    detail: out(2048).optional(),
    instance: z.string().max(2048).openapi({ format: 'uri-reference' }).optional(),
    requestId: out(256).optional(),
    errors: z
      .array(
        z.object({
          path: out(256),
          message: out(1024),
          code: out(64).optional(),
        }),
      )
      .max(100)
      .optional(),
  })
  .openapi('Problem');

/** An OpenAPI Header Object, as narrow as the registry's type wants it. */
type HeaderSpec = {
  description: string;
  required?: boolean;
  schema: {
    type: 'string' | 'integer';
    format?: string;
    maxLength?: number;
    pattern?: string;
    enum?: string[];
    minimum?: number;
    maximum?: number;
  };
};
const headerText = (description: string, required = false): HeaderSpec => ({
  description,
  required,
  // Visible ASCII and spaces: what a header field value holds.
  schema: { type: 'string', maxLength: 1024, pattern: '^[ -~]*$' },
});

/**
 * Response headers of the API, as the app sends them: `components.headers` of the document
 * (registered by `createApp`), referenced by each response that carries them.
 */
export const HEADER_COMPONENTS = {
  RateLimit: headerText(
    'The quota left under the policy nearest its limit (IETF RateLimit header fields, e.g. `"user";r=97;t=42`). Sent on every answer that reached the rate limits: not on a refused token (401), a missing tenant (403), a body over the limit (413) or an Idempotency-Key replay.',
  ),
  'RateLimit-Policy': headerText(
    'The policies that apply to the caller (e.g. `"user";q=100;w=60, "tenant";q=1000;w=60`); on the same answers as `RateLimit`.',
  ),
  'Retry-After': {
    description:
      'Seconds to wait before retrying: on every 429, on a 409 while the same Idempotency-Key is in progress, and on a 503.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 },
  },
  Location: {
    description: 'Path of the created resource.',
    required: true,
    schema: { type: 'string', format: 'uri-reference', maxLength: 256 },
  },
  'Idempotent-Replayed': {
    description:
      '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  'WWW-Authenticate': headerText(
    'The Bearer challenge (RFC 6750), on every 401: `error="invalid_token"` for a refused token; on a 403 `error="insufficient_scope", scope="…"` names the scope the token lacks.',
  ),
  'X-Request-Id': headerText(
    'Id of this request (yours, when you sent one): quote it in a report.',
    true,
  ),
} satisfies Record<string, HeaderSpec>;

export type HeaderName = keyof typeof HEADER_COMPONENTS;
const refs = (...names: HeaderName[]) =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

/** Headers of every answer of a `/v1` operation. */
const COMMON_HEADERS: HeaderName[] = ['RateLimit', 'RateLimit-Policy', 'X-Request-Id'];

/** A problem+json response for the OpenAPI document, with the headers it carries. */
export const problem = (description: string, extra: HeaderName[] = []) => ({
  description,
  headers: refs(...COMMON_HEADERS, ...extra),
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** Error responses every `/v1` route can give. */
export const commonErrors = {
  400: problem('Malformed request (e.g. invalid JSON).'),
  401: problem('Missing, expired or invalid bearer token (`WWW-Authenticate` says which).', [
    'WWW-Authenticate',
  ]),
  403: problem(
    "The token lacks the operation's scope (`WWW-Authenticate` names it) or names no tenant, or the caller may not do this.",
    ['WWW-Authenticate'],
  ),
  404: problem('Not found.'),
  413: problem('Body too large.'),
  422: problem('Validation failed; `errors` lists each field.'),
  429: problem('A rate limit or quota is exhausted; retry after `Retry-After` seconds.', [
    'Retry-After',
  ]),
  500: problem('Unexpected error; no internals are exposed.'),
  503: problem(
    'A dependency (database) or the service is unavailable (maintenance); retry after `Retry-After` seconds.',
    ['Retry-After'],
  ),
  504: problem('The request timed out.'),
} as const;

/** A JSON answer of a `/v1` operation with its headers. */
export const jsonResponse = <T extends z.ZodType>(
  schema: T,
  description: string,
  extra: HeaderName[] = [],
) => ({
  description,
  headers: refs(...COMMON_HEADERS, ...extra),
  content: { 'application/json': { schema } },
});

/** A 201 answer: `Location` of the new resource, `Idempotent-Replayed` on a replay. */
export const createdResponse = <T extends z.ZodType>(schema: T, description: string) =>
  jsonResponse(schema, description, ['Location', 'Idempotent-Replayed']);

/** A 204 answer of a `/v1` operation. */
export const noContentResponse = (description: string) => ({
  description,
  headers: refs(...COMMON_HEADERS),
});

/**
 * An Idempotency-Key: 1 to 255 visible ASCII characters (no spaces). The idempotency middleware
 * checks a key with this schema before the route runs, so the document and the check agree.
 */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(IDEMPOTENCY_KEY_MAX)
  .regex(/^[\x21-\x7e]*$/, 'must be visible ASCII characters');

export const idempotencyHeader = z.object({
  'idempotency-key': IdempotencyKey.optional().openapi({
    param: { name: 'idempotency-key', in: 'header' },
    description: 'Retries with the same key replay the first response instead of creating again.',
  }),
});

export const CuisineListSchema = z
  .object({ items: z.array(CuisineSchema).max(CUISINES.length) })
  .openapi('CuisineList');

/** Longest an invite link may stay valid, in hours (30 days). */
export const INVITE_HOURS_MAX = 720;
/** Length of an invite token: 32 random bytes, base64url. */
export const INVITE_TOKEN_LENGTH = 43;
/** Most usable invites a group lists. */
export const INVITES_MAX = 100;

export const InviteIdParams = GroupIdParams.extend({
  inviteId: uuid().openapi({
    param: { name: 'inviteId', in: 'path' },
    description: 'The invite id.',
  }),
});

export const CreateInviteBody = z
  .strictObject({
    expiresInHours: z
      .number()
      .int()
      .min(1)
      .max(INVITE_HOURS_MAX)
      .default(72)
      .openapi({ format: 'int32', description: 'How long the link stays valid. Default: 72.' }),
  })
  .openapi('CreateInvite');

export const InviteSchema = z
  .object({
    id: uuid(),
    groupId: uuid(),
    createdBy: out(SUBJECT_MAX),
    expiresAt: timestamp(),
    createdAt: timestamp(),
  })
  .openapi('Invite');

export const CreatedInviteSchema = InviteSchema.extend({
  token: out(INVITE_TOKEN_LENGTH).openapi({
    description:
      "The capability token of the link, shown only in this answer (the app stores its hash). Anyone signed in to the group's tenant who holds it can join until it expires or is revoked.",
  }),
}).openapi('CreatedInvite');

export const InviteListSchema = z
  .object({ items: z.array(InviteSchema).max(INVITES_MAX) })
  .openapi('InviteList');

export const AcceptInviteBody = z
  .strictObject({
    token: text()
      .min(1)
      .max(INVITE_TOKEN_LENGTH)
      .openapi({ description: 'The token of the invite link.' }),
    name: name.openapi({ example: 'Bob', description: 'The name the caller joins under.' }),
  })
  .openapi('AcceptInvite');

export const AcceptedInviteSchema = z
  .object({ groupId: uuid(), member: MemberSchema })
  .openapi('AcceptedInvite');
