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
  /** The layered stack `bench/server.ts` builds, when it is another row's (default: its own name). */
  stack?: string;
  /** Loaded with `--import` instead of the app's `dist/instrumentation.js`. */
  preload?: string;
  /** Extra environment of the server process. */
  env?: Readonly<Record<string, string>>;
  /** The app rows' database; `postgres` rows run only when DATABASE_URL is set. */
  database?: 'pglite' | 'postgres';
}

/** The route every variant up to the full app answers: the cuisine list as JSON. */
export const CUISINES_PATH = '/v1/cuisines';
/** The database route: reads the group, its members and their preferences. */
export const RECOMMENDATION_PATH = '/v1/groups/:groupId/recommendation';

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
    label: '+ telemetry: every request traced (the default), RED metrics, request log line',
    telemetry: true,
    auth: false,
    path: CUISINES_PATH,
  },
  {
    name: 'telemetry-sampled',
    label: '+ telemetry with 10 % of new traces kept (`TRACES_SAMPLE_RATIO=0.1`)',
    telemetry: true,
    auth: false,
    path: CUISINES_PATH,
    stack: 'telemetry',
    env: { TRACES_SAMPLE_RATIO: '0.1' },
  },
  {
    name: 'express',
    label:
      'Express 5 + request id, helmet, body limit, timeout + OpenTelemetry (http, express) + pino-http',
    telemetry: true,
    auth: false,
    path: CUISINES_PATH,
    preload: './bench/express-instrumentation.ts',
    env: { OTEL_SERVICE_NAME: 'where2eat-express-bench' },
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
    label: 'where2eat `createApp`, `GET /v1/cuisines` (PGlite)',
    telemetry: true,
    auth: true,
    path: CUISINES_PATH,
    database: 'pglite',
  },
  {
    name: 'app-db',
    label: 'where2eat `createApp`, `GET /v1/groups/:id/recommendation` (PGlite)',
    telemetry: true,
    auth: true,
    path: RECOMMENDATION_PATH,
    database: 'pglite',
  },
  {
    name: 'app-pg',
    label: 'where2eat `createApp`, `GET /v1/cuisines` (PostgreSQL)',
    telemetry: true,
    auth: true,
    path: CUISINES_PATH,
    database: 'postgres',
  },
  {
    name: 'app-db-pg',
    label: 'where2eat `createApp`, `GET /v1/groups/:id/recommendation` (PostgreSQL)',
    telemetry: true,
    auth: true,
    path: RECOMMENDATION_PATH,
    database: 'postgres',
  },
];

/** The row every ratio is taken against. */
export const BASELINE = 'bare-hono';
/** The row the throughput target is about: the whole stack on a route without the database. */
export const FULL_STACK = 'app';

/** The layered stack a variant builds. */
export function stackOf(variant: Variant): string {
  return variant.stack ?? variant.name;
}

/** Steps of a run that are not a row of the table: `--only` may name them too. */
export const EXTRA_STEPS: readonly string[] = ['sustained', 'cold-start'];

/** The variants named in `only` (comma-separated), in run order. */
export function selectVariants(only: readonly string[] | undefined): Variant[] {
  if (!only) return [...VARIANTS];
  const known = new Set(VARIANTS.map((v) => v.name));
  const unknown = only.filter((name) => !known.has(name) && !EXTRA_STEPS.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown variant ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${[...known, ...EXTRA_STEPS].join(', ')}`,
    );
  }
  return VARIANTS.filter((v) => only.includes(v.name));
}
