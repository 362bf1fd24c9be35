/**
 * The load scenarios and their pass/fail thresholds, shared by the k6 scripts (run in GitHub
 * Actions) and `npm run load` (autocannon, runs anywhere). Plain data: no k6 or Node imports.
 *
 * Thresholds come from docs/slo.md: p95 latency under 300 ms and fewer than 0.5% failed
 * requests, at the 500 requests/s the service is sized for.
 */

export const SLO = {
  /** p95 of every request's duration, in milliseconds. */
  p95Ms: 300,
  /** Share of requests that failed (status >= 400 or no response). */
  errorRate: 0.005,
  /** The steady request rate one replica is sized for. */
  targetRps: 500,
} as const;

/** A block of constant request rate. */
export interface Stage {
  /** Requests per second in this block. */
  rps: number;
  /** Length of the block in seconds. */
  seconds: number;
}

export interface Scenario {
  description: string;
  stages: readonly Stage[];
}

export const scenarios = {
  smoke: {
    description: 'A few requests per second: the journey works and answers fast.',
    stages: [{ rps: 5, seconds: 20 }],
  },
  average: {
    description: 'The sized load: warm up, then the target rate for a minute.',
    stages: [
      { rps: SLO.targetRps / 5, seconds: 10 },
      { rps: SLO.targetRps / 2, seconds: 10 },
      { rps: SLO.targetRps, seconds: 60 },
    ],
  },
  spike: {
    description: 'Quiet, then a sudden burst at twice the target rate, then quiet again.',
    stages: [
      { rps: SLO.targetRps / 10, seconds: 10 },
      { rps: SLO.targetRps * 2, seconds: 15 },
      { rps: SLO.targetRps / 10, seconds: 10 },
    ],
  },
} as const satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof scenarios;

/**
 * The request mix of one virtual user, in order: mostly the recommendation (the SLO route),
 * some group listings and reads, and a preference update. Both tools walk it round-robin.
 */
export const requestMix = [
  'recommendation',
  'list',
  'recommendation',
  'group',
  'recommendation',
  'preferences',
  'recommendation',
  'list',
  'recommendation',
  'recommendation',
] as const;

export type RequestKind = (typeof requestMix)[number];

/** The preferences the load updates, cycling so the recommendation changes now and then. */
export const preferenceSets = [
  { likes: ['thai', 'korean'], vetoes: ['american'] },
  { likes: ['italian'], vetoes: [] },
  { likes: ['japanese', 'thai'], vetoes: ['mexican'] },
] as const;

/** Rate-limit settings for an app under load test: the limiter would otherwise be the result. */
export const loadTestAppEnv = {
  RATE_LIMIT_PER_USER_PER_MIN: '1000000',
  RATE_LIMIT_PER_TENANT_PER_MIN: '10000000',
} as const;
