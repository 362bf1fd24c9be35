/** Stable ids of the gates, in the order the scorecard prints them. */
export type CheckId =
  | 'auth'
  | 'rate-limits'
  | 'telemetry'
  | 'health'
  | 'slo'
  | 'runbook'
  | 'contract-tests'
  | 'load-thresholds'
  | 'dockerfile'
  | 'chart-values'
  | 'secrets'
  | 'catalog'
  | 'api-contract'
  | 'operations';

/** Every gate with its scorecard title, in print order. */
export const CHECKS: ReadonlyArray<{ readonly id: CheckId; readonly title: string }> = [
  { id: 'auth', title: 'auth on every non-health route' },
  { id: 'rate-limits', title: 'rate limits configured' },
  { id: 'telemetry', title: 'telemetry bootstrap present' },
  { id: 'health', title: 'health endpoints' },
  { id: 'slo', title: 'SLO file and rules' },
  { id: 'runbook', title: 'runbook filled' },
  { id: 'contract-tests', title: 'contract tests' },
  { id: 'load-thresholds', title: 'load test thresholds' },
  { id: 'dockerfile', title: 'Dockerfile non-root' },
  { id: 'chart-values', title: 'chart values valid' },
  { id: 'secrets', title: 'no secret in the tree' },
  { id: 'catalog', title: 'catalog metadata complete' },
  { id: 'api-contract', title: 'OpenAPI document linted' },
  { id: 'operations', title: 'alerts routed and probed' },
];

/** What one gate found. A gate is green (`pass: true`) or red, always with a reason. */
export interface CheckResult {
  readonly id: CheckId;
  readonly pass: boolean;
  /** One line: what was found (green) or what is wrong and where (red). */
  readonly reason: string;
  /** Repository-relative file the finding is about, for CI annotations. */
  readonly file?: string;
  /** 1-based line in `file`. */
  readonly line?: number;
}

/**
 * Backstage lifecycle stages an app may declare in `catalog-info.yaml`. `production` apps fail
 * CI on a red gate; the others get warnings.
 */
export const LIFECYCLES = ['experimental', 'prototype', 'production', 'deprecated'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

/** An app folder the gate reads: `apps/<name>` with a `catalog-info.yaml`. */
export interface AppInfo {
  /** Folder name under `apps/`. */
  readonly name: string;
  /** Absolute path of the app folder. */
  readonly dir: string;
  /** Repository-relative path of the app folder (`apps/<name>`). */
  readonly relDir: string;
  /** The catalog's `spec.lifecycle` when it is a known stage, else undefined. */
  readonly lifecycle: Lifecycle | undefined;
  /** Service name telemetry reports: the `micro-app/app-id` annotation, else `metadata.name`, else the folder. */
  readonly serviceName: string;
  /** The parsed catalog entry (undefined when it does not parse). */
  readonly catalog: unknown;
  /** Why the catalog could not be read, when it could not. */
  readonly catalogError?: string;
}

/** A folder under `apps/` that is not gated, and why. */
export interface SkippedDir {
  readonly relDir: string;
  readonly reason: string;
}

/** How a red gate counts for an app. */
export type Enforcement = 'error' | 'warning';

/** The scorecard of one app. */
export interface AppReport {
  readonly name: string;
  readonly relDir: string;
  /** The declared lifecycle, or `unknown` when the catalog names none (then gates are enforced). */
  readonly lifecycle: Lifecycle | 'unknown';
  readonly enforcement: Enforcement;
  readonly checks: readonly CheckResult[];
}

/** Everything one run found. */
export interface ReadinessReport {
  readonly apps: readonly AppReport[];
  readonly skipped: readonly SkippedDir[];
}
