/**
 * The k6 scenarios of this folder, driven by autocannon from Node: the same stages, request mix
 * and thresholds, for machines without k6 (`npm run load`). Latency is recorded per response,
 * so the p95 is exact rather than read off autocannon's fixed percentiles.
 */
import autocannon from 'autocannon';
import { preferenceSets, type RequestKind, requestMix, SLO, type Stage } from './scenarios.ts';

export interface Target {
  baseUrl: string;
  token: string;
  groupId: string;
  memberId: string;
}

export interface StageResult extends Stage {
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
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface Verdict {
  name: string;
  threshold: string;
  actual: string;
  ok: boolean;
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

function requestFor(kind: RequestKind, target: Target, index: number): autocannon.Request {
  const group = `/v1/groups/${target.groupId}`;
  switch (kind) {
    case 'recommendation':
      return { method: 'GET', path: `${group}/recommendation` };
    case 'list':
      return { method: 'GET', path: '/v1/groups?limit=20' };
    case 'group':
      return { method: 'GET', path: group };
    case 'preferences':
      return {
        method: 'PUT',
        path: `${group}/members/${target.memberId}/preferences`,
        body: JSON.stringify(preferenceSets[index % preferenceSets.length]),
      };
  }
}

async function runStage(
  target: Target,
  stage: Stage,
): Promise<{ latencies: number[]; result: StageResult }> {
  const latencies: number[] = [];
  let failed = 0;
  const options: autocannon.Options = {
    url: target.baseUrl,
    overallRate: stage.rps,
    duration: stage.seconds,
    // Enough sockets that a slow server shows as latency, not as a lower request rate.
    connections: Math.max(10, Math.ceil(stage.rps / 10)),
    timeout: 10,
    headers: {
      authorization: `Bearer ${target.token}`,
      'content-type': 'application/json',
    },
    requests: requestMix.map((kind, index) => requestFor(kind, target, index)),
  };
  const summary = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, result) =>
      error ? reject(error) : resolve(result),
    );
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

/** Runs the stages one after the other; `onStage` reports each as it ends. */
export async function runLoad(
  target: Target,
  stages: readonly Stage[],
  onStage: (result: StageResult) => void = () => {},
): Promise<LoadResult> {
  const all: number[] = [];
  const results: StageResult[] = [];
  for (const stage of stages) {
    const { latencies, result } = await runStage(target, stage);
    for (const latency of latencies) all.push(latency);
    results.push(result);
    onStage(result);
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

/** The k6 thresholds of journey.ts, applied to a result. No request at all is a failure. */
export function verdicts(result: LoadResult): Verdict[] {
  return [
    {
      name: 'http_req_duration p(95)',
      threshold: `< ${SLO.p95Ms} ms`,
      actual: `${result.p95Ms.toFixed(1)} ms`,
      ok: result.requests > 0 && result.p95Ms < SLO.p95Ms,
    },
    {
      name: 'http_req_failed rate',
      threshold: `< ${(SLO.errorRate * 100).toFixed(1)}%`,
      actual: `${(result.errorRate * 100).toFixed(2)}% (${result.failed}/${result.requests})`,
      ok: result.requests > 0 && result.errorRate < SLO.errorRate,
    },
  ];
}
