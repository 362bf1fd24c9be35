/**
 * The load scenarios and their pass/fail thresholds, shared by the k6 smoke test (smoke.ts) and
 * `npm run load` (run.ts, autocannon through @micro-app/load). Plain data: no k6 or Node imports.
 * The thresholds are the SLO's (docs/slo.md): p95 under 300 ms, fewer than 0.5% failed requests.
 */

export const SLO = {
  /** p95 of every request's duration, in milliseconds. */
  p95Ms: 300,
  /** Share of requests that failed (status >= 400 or no response). */
  errorRate: 0.005,
} as const;

export const scenarios = {
  smoke: {
    description: 'A few requests per second: the notes API works and answers fast.',
    stages: [{ rps: 5, seconds: 20 }],
  },
} as const;

/** Rate-limit settings for an app under load test: the limiter would otherwise be the result. */
export const loadTestAppEnv = {
  RATE_LIMIT_PER_USER_PER_MIN: '1000000',
  RATE_LIMIT_PER_TENANT_PER_MIN: '10000000',
} as const;
