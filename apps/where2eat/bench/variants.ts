/**
 * The servers `npm run bench` compares, in the order it runs them. Each adds one guardrail to
 * the one before, so the drop from one row to the next is what that guardrail costs.
 */
export interface Variant {
  /** Name on the command line (`--only bare-hono,app`) and argument of `bench/server.ts`. */
  name: string;
  /** Row label in the table. */
  label: string;
  /** Started with where2eat's `instrumentation.ts` through `--import`, exporting over OTLP. */
  telemetry: boolean;
  /** Needs a bearer token from the dev identity provider. */
  auth: boolean;
  /** Route driven by autocannon; `:groupId` is replaced by a seeded group. */
  path: string;
}

/** The route every variant up to the full app answers: the cuisine list as JSON. */
export const CUISINES_PATH = '/v1/cuisines';

export const VARIANTS: readonly Variant[] = [
  {
    name: 'bare-node',
    label: 'bare `node:http`',
    telemetry: false,
    auth: false,
    path: CUISINES_PATH,
  },
  {
    name: 'bare-hono',
    label: 'bare Hono (`@hono/node-server`)',
    telemetry: false,
    auth: false,
    path: CUISINES_PATH,
  },
  {
    name: 'guardrails',
    label: '+ request id, secure headers, body limit, timeout',
    telemetry: false,
    auth: false,
    path: CUISINES_PATH,
  },
  {
    name: 'telemetry',
    label: '+ telemetry (OTLP spans and metrics, request log line)',
    telemetry: true,
    auth: false,
    path: CUISINES_PATH,
  },
  {
    name: 'auth',
    label: '+ auth (ES256 JWT, JWKS over HTTP)',
    telemetry: true,
    auth: true,
    path: CUISINES_PATH,
  },
  {
    name: 'rate-limit',
    label: '+ rate limit (per user and tenant, memory)',
    telemetry: true,
    auth: true,
    path: CUISINES_PATH,
  },
  {
    name: 'flags',
    label: '+ flags (file) and kill switch',
    telemetry: true,
    auth: true,
    path: CUISINES_PATH,
  },
  {
    name: 'app',
    label: 'where2eat `createApp`, `GET /v1/cuisines`',
    telemetry: true,
    auth: true,
    path: CUISINES_PATH,
  },
  {
    name: 'app-db',
    label: 'where2eat `createApp`, `GET /v1/groups/:id/recommendation` (PGlite)',
    telemetry: true,
    auth: true,
    path: '/v1/groups/:groupId/recommendation',
  },
];

/** The row every ratio is taken against. */
export const BASELINE = 'bare-hono';
/** The row the throughput target is about: the whole stack on a route without the database. */
export const FULL_STACK = 'app';

/** The variants named in `only` (comma-separated), in run order. */
export function selectVariants(only: readonly string[] | undefined): Variant[] {
  if (!only) return [...VARIANTS];
  const known = new Set(VARIANTS.map((v) => v.name));
  const unknown = only.filter((name) => !known.has(name) && name !== 'cold-start');
  if (unknown.length > 0) {
    throw new Error(
      `unknown variant ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${[...known, 'cold-start'].join(', ')}`,
    );
  }
  return VARIANTS.filter((v) => only.includes(v.name));
}
