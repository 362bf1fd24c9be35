import autocannon from 'autocannon';
import { LoadError } from './errors.js';

/** A block of constant request rate. */
export interface Stage {
  /** Requests per second in this block. */
  rps: number;
  /** Length of the block in seconds. */
  seconds: number;
}

/** A named load shape: what it is for, and its stages in order. */
export interface Scenario {
  description: string;
  stages: readonly Stage[];
}

/** Pass/fail limits of a run (the k6 thresholds `p(95)<p95Ms` and `rate<errorRate`). */
export interface Thresholds {
  /** p95 of every request's duration must stay below this, in milliseconds. */
  p95Ms: number;
  /** Share of failed requests (status >= 400 or no response) must stay below this, 0 to 1. */
  errorRate: number;
}

/** One request of the mix, relative to the base URL. */
export interface LoadRequest {
  /** Default `GET`. */
  method?: string;
  /** Path and query, e.g. `/v1/notes?limit=20`. */
  path: string;
  body?: string;
  /** Headers of this request only, on top of the run's. */
  headers?: Record<string, string>;
}

export interface StageResult extends Stage {
  /** Requests answered or failed without an answer. */
  requests: number;
  failed: number;
  achievedRps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface LoadResult {
  stages: StageResult[];
  requests: number;
  failed: number;
  /** `failed / requests`; 1 when nothing was sent. */
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** One threshold applied to a result. */
export interface Verdict {
  name: string;
  threshold: string;
  actual: string;
  ok: boolean;
}

/** Options of {@link runLoad}. */
export interface RunLoadOptions {
  /** Where the app listens: on loopback only (127.0.0.0/8, `localhost`, `[::1]`). */
  baseUrl: string;
  /** Run one after the other; each sends at most `rps × seconds` requests. */
  stages: readonly Stage[];
  /** The request mix; each connection walks it round-robin. */
  requests: readonly LoadRequest[];
  /** Headers of every request (a bearer token, a content type). */
  headers?: Record<string, string>;
  /** Sockets per stage. Default: `max(10, rps / 10)`, at most the stage's request count. */
  connections?: (stage: Stage) => number;
  /** A request without an answer after this many seconds failed. Default `10`. */
  timeoutSeconds?: number;
  /** Called as each stage ends. */
  onStage?: (result: StageResult) => void;
}

/** Longest stage, highest rate and longest request timeout a run accepts. */
export const LIMITS = { maxSeconds: 3_600, maxRps: 100_000, maxTimeoutSeconds: 120 } as const;

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

/** True for 127.0.0.0/8, `localhost` and `::1`: the only targets a run accepts. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return (
    host === 'localhost' ||
    host === '::1' ||
    /^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(
      host,
    )
  );
}

/**
 * The base URL as a loopback http(s) URL.
 *
 * @throws {LoadError} `LOAD_INVALID_OPTIONS` for a malformed URL, `LOAD_TARGET_NOT_LOOPBACK`
 *   for one that is not on this machine
 */
export function loopbackUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new LoadError('LOAD_INVALID_OPTIONS', `base URL "${baseUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LoadError('LOAD_INVALID_OPTIONS', `base URL "${baseUrl}" is not http(s)`);
  }
  if (!isLoopback(url)) {
    throw new LoadError(
      'LOAD_TARGET_NOT_LOOPBACK',
      `${url.origin} is not on this machine: a run targets 127.0.0.0/8, localhost or [::1] only`,
    );
  }
  return url;
}

function checkStages(stages: readonly Stage[]): void {
  if (stages.length === 0) throw new LoadError('LOAD_INVALID_OPTIONS', 'no stages to run');
  for (const { rps, seconds } of stages) {
    if (!(Number.isInteger(rps) && rps >= 1 && rps <= LIMITS.maxRps)) {
      throw new LoadError(
        'LOAD_INVALID_OPTIONS',
        `stage rps ${rps} must be an integer from 1 to ${LIMITS.maxRps}`,
      );
    }
    if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= LIMITS.maxSeconds)) {
      throw new LoadError(
        'LOAD_INVALID_OPTIONS',
        `stage seconds ${seconds} must be an integer from 1 to ${LIMITS.maxSeconds}`,
      );
    }
  }
}

const defaultConnections = (stage: Stage) => Math.max(10, Math.ceil(stage.rps / 10));

async function runStage(
  url: URL,
  options: RunLoadOptions,
  stage: Stage,
): Promise<{ latencies: number[]; result: StageResult }> {
  const latencies: number[] = [];
  let failed = 0;
  const cap = stage.rps * stage.seconds;
  const timeout = options.timeoutSeconds ?? 10;
  // Enough sockets that a slow server shows as latency, not as a lower request rate; never more
  // than the requests to send (autocannon's cap cannot be below its connections).
  const wanted = Math.floor((options.connections ?? defaultConnections)(stage));
  const connections = Math.min(cap, Math.max(1, wanted));
  const autocannonOptions: autocannon.Options = {
    url: url.origin,
    overallRate: stage.rps,
    duration: stage.seconds,
    maxOverallRequests: cap,
    connections,
    timeout,
    ...(options.headers ? { headers: options.headers } : {}),
    requests: options.requests.map((r) => ({
      method: (r.method ?? 'GET') as autocannon.Request['method'],
      path: r.path,
      ...(r.body !== undefined ? { body: r.body } : {}),
      ...(r.headers ? { headers: r.headers } : {}),
    })),
  };
  const summary = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(autocannonOptions, (error, result) => {
      clearTimeout(guard);
      if (error) {
        reject(
          new LoadError('LOAD_RUN_FAILED', `autocannon failed: ${String(error)}`, { cause: error }),
        );
      } else resolve(result);
    });
    // The stage's time, plus one request timeout for the last answers: then it stops regardless.
    const guard = setTimeout(() => instance.stop(), (stage.seconds + timeout + 5) * 1000);
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (statusCode >= 400) failed += 1;
    });
  });
  // Requests that got no response at all (connection errors, timeouts) failed too.
  failed += summary.errors;
  latencies.sort((a, b) => a - b);
  const requests = latencies.length + summary.errors;
  return {
    latencies,
    result: {
      ...stage,
      requests,
      failed,
      achievedRps: requests / stage.seconds,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      p99Ms: percentile(latencies, 99),
    },
  };
}

/**
 * Drives the request mix at each stage's rate for its length, one stage after the other, and
 * records every response's latency (the p95 is exact, not read off fixed percentiles). A stage
 * sends at most `rps × seconds` requests and stops after its length plus one request timeout.
 *
 * @throws {LoadError} `LOAD_INVALID_OPTIONS`, `LOAD_TARGET_NOT_LOOPBACK` before sending anything;
 *   `LOAD_RUN_FAILED` when autocannon fails
 */
export async function runLoad(options: RunLoadOptions): Promise<LoadResult> {
  const url = loopbackUrl(options.baseUrl);
  checkStages(options.stages);
  if (options.requests.length === 0) {
    throw new LoadError('LOAD_INVALID_OPTIONS', 'no requests in the mix');
  }
  const timeout = options.timeoutSeconds ?? 10;
  if (!(timeout > 0 && timeout <= LIMITS.maxTimeoutSeconds)) {
    throw new LoadError(
      'LOAD_INVALID_OPTIONS',
      `timeoutSeconds ${timeout} must be above 0 and at most ${LIMITS.maxTimeoutSeconds}`,
    );
  }
  const all: number[] = [];
  const results: StageResult[] = [];
  for (const stage of options.stages) {
    const { latencies, result } = await runStage(url, options, stage);
    for (const latency of latencies) all.push(latency);
    results.push(result);
    options.onStage?.(result);
  }
  all.sort((a, b) => a - b);
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  return {
    stages: results,
    requests,
    failed,
    errorRate: requests === 0 ? 1 : failed / requests,
    p50Ms: percentile(all, 50),
    p95Ms: percentile(all, 95),
    p99Ms: percentile(all, 99),
  };
}

/**
 * The thresholds applied to a result, as k6 names them (`http_req_duration p(95)`,
 * `http_req_failed rate`). A run that sent nothing fails both.
 */
export function verdicts(result: LoadResult, thresholds: Thresholds): Verdict[] {
  return [
    {
      name: 'http_req_duration p(95)',
      threshold: `< ${thresholds.p95Ms} ms`,
      actual: `${result.p95Ms.toFixed(1)} ms`,
      ok: result.requests > 0 && result.p95Ms < thresholds.p95Ms,
    },
    {
      name: 'http_req_failed rate',
      threshold: `< ${(thresholds.errorRate * 100).toFixed(1)}%`,
      actual: `${(result.errorRate * 100).toFixed(2)}% (${result.failed}/${result.requests})`,
      ok: result.requests > 0 && result.errorRate < thresholds.errorRate,
    },
  ];
}

/** One report line for a stage, e.g. `      5 req/s for 20 s: 100 requests, 5/s achieved, …`. */
export function formatStage(stage: StageResult): string {
  return (
    `  ${String(stage.rps).padStart(5)} req/s for ${stage.seconds} s: ${stage.requests} requests, ` +
    `${stage.achievedRps.toFixed(0)}/s achieved, p95 ${stage.p95Ms.toFixed(1)} ms, ${stage.failed} failed`
  );
}

/** One report line for a verdict, e.g. `✓ http_req_failed rate < 0.5%: 0.00% (0/100)`. */
export function formatVerdict(verdict: Verdict): string {
  return `${verdict.ok ? '✓' : '✗'} ${verdict.name} ${verdict.threshold}: ${verdict.actual}`;
}
