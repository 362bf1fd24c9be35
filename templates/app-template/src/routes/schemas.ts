import { z } from '@hono/zod-openapi';

// Every schema is bounded (maxLength, maxItems, integer format and range): the OpenAPI document
// shows exactly what the app enforces, and `npm run api:check` (Spectral + the OWASP ruleset)
// refuses an unbounded one. See docs/api.md of the repository.

// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern exists to refuse them
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

/** A string refusing control characters (PostgreSQL `text` cannot hold U+0000). */
export function text(base: z.ZodString = z.string()): z.ZodString {
  return base.regex(NO_CONTROL_CHARACTERS, 'must not contain control characters');
}

export const TITLE_MAX = 200;
export const BODY_MAX = 10_000;
/** Longest subject (`sub`) or tenant the app accepts from a token. */
export const SUBJECT_MAX = 255;
export const PAGE_MAX = 100;
export const OFFSET_MAX = 10_000;

const title = text(z.string().trim()).min(1).max(TITLE_MAX);
const body = z.string().max(BODY_MAX);
const uuid = () => z.uuid().max(36);
const timestamp = () => z.iso.datetime().max(32);
const out = (max: number) => text().max(max);
const int32 = (min: number, max: number) =>
  z.number().int().min(min).max(max).openapi({ format: 'int32' });

/** A subject (`sub`) or tenant from a token. */
export const Subject = text().min(1).max(SUBJECT_MAX);

export const NoteIdParams = z.object({
  noteId: uuid().openapi({ param: { name: 'noteId', in: 'path' }, description: 'The note id.' }),
});

export const CreateNoteBody = z
  .strictObject({
    title: title.openapi({ example: 'First note' }),
    body: body.default('').openapi({ example: 'Written with app-template.' }),
  })
  .openapi('CreateNote');

export const UpdateNoteBody = z
  .strictObject({ title: title.optional(), body: body.optional() })
  .refine((changes) => changes.title !== undefined || changes.body !== undefined, {
    message: 'name at least one of title, body',
  })
  .openapi('UpdateNote');

export const ListNotesQuery = z.object({
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
    .openapi({ format: 'int32', description: 'Notes to skip.' }),
});

export const NoteSchema = z
  .object({
    id: uuid(),
    title: out(TITLE_MAX),
    body: z.string().max(BODY_MAX),
    authorSub: out(SUBJECT_MAX),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  })
  .openapi('Note');

export const NoteListSchema = z
  .object({
    items: z.array(NoteSchema).max(PAGE_MAX),
    limit: int32(1, PAGE_MAX),
    offset: int32(0, OFFSET_MAX),
  })
  .openapi('NoteList');

export const ProblemSchema = z
  .object({
    type: z.string().max(256).openapi({ format: 'uri-reference' }),
    title: out(256),
    status: int32(400, 599),
    detail: out(2048).optional(),
    instance: z.string().max(2048).openapi({ format: 'uri-reference' }).optional(),
    requestId: out(256).optional(),
    errors: z
      .array(z.object({ path: out(256), message: out(1024), code: out(64).optional() }))
      .max(100)
      .optional(),
  })
  .openapi('Problem');

/** An OpenAPI Header Object. */
type HeaderSpec = {
  description: string;
  required?: boolean;
  schema: {
    type: 'string' | 'integer';
    format?: string;
    maxLength?: number;
    pattern?: string;
    minimum?: number;
    maximum?: number;
  };
};
const headerText = (description: string, required = false): HeaderSpec => ({
  description,
  required,
  schema: { type: 'string', maxLength: 1024, pattern: '^[ -~]*$' },
});

/** Response headers, registered as `components.headers` by `createApp`. */
export const HEADER_COMPONENTS = {
  RateLimit: headerText(
    'The quota left under the policy nearest its limit (IETF RateLimit header fields). Sent on every answer that reached the rate limits (not on 401 or 413).',
  ),
  'RateLimit-Policy': headerText(
    'The policies that apply to the caller; on the same answers as `RateLimit`.',
  ),
  'Retry-After': {
    description: 'Seconds to wait before retrying (429, 503).',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 },
  },
  Location: {
    description: 'Path of the created resource.',
    required: true,
    schema: { type: 'string', format: 'uri-reference', maxLength: 256 },
  },
  'WWW-Authenticate': headerText('The Bearer challenge (RFC 6750), on every 401.'),
  'X-Request-Id': headerText('Id of this request: quote it in a report.', true),
} satisfies Record<string, HeaderSpec>;

type HeaderName = keyof typeof HEADER_COMPONENTS;
const refs = (...names: HeaderName[]) =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
const COMMON_HEADERS: HeaderName[] = ['RateLimit', 'RateLimit-Policy', 'X-Request-Id'];

/** A problem+json response for the OpenAPI document, with its headers. */
export const problem = (description: string, extra: HeaderName[] = []) => ({
  description,
  headers: refs(...COMMON_HEADERS, ...extra),
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** Error responses every `/v1` route can give. */
export const commonErrors = {
  400: problem('Malformed request (e.g. invalid JSON).'),
  401: problem('No valid bearer token (`WWW-Authenticate` says why).', ['WWW-Authenticate']),
  403: problem('The token names no tenant.'),
  404: problem('Not found.'),
  413: problem('Body too large.'),
  422: problem('Validation failed; `errors` lists each field.'),
  429: problem('Rate limited; retry after `Retry-After` seconds.', ['Retry-After']),
  500: problem('Unexpected error; no internals are exposed.'),
  503: problem('A dependency (database) or the service is unavailable.', ['Retry-After']),
  504: problem('The request timed out.'),
} as const;

/** A JSON answer of a `/v1` operation, with its headers. */
export const jsonResponse = <T extends z.ZodType>(
  schema: T,
  description: string,
  extra: HeaderName[] = [],
) => ({
  description,
  headers: refs(...COMMON_HEADERS, ...extra),
  content: { 'application/json': { schema } },
});

/** A 204 answer of a `/v1` operation. */
export const noContentResponse = (description: string) => ({
  description,
  headers: refs(...COMMON_HEADERS),
});
