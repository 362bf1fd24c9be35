/**
 * The k6 scenarios of this folder, driven by autocannon from Node through @micro-app/load: the
 * same stages, request mix and thresholds, for machines without k6 (`npm run load`). Latency is
 * recorded per response, so the p95 is exact rather than read off autocannon's fixed
 * percentiles; each stage is bounded in requests and time, against loopback only.
 */
import {
  type LoadRequest,
  type LoadResult,
  percentile,
  runLoad as runStages,
  type StageResult,
  type Verdict,
  verdicts as verdictsOf,
} from '@micro-app/load';
import { preferenceSets, type RequestKind, requestMix, SLO, type Stage } from './scenarios.ts';

export type { LoadResult, StageResult, Verdict };
export { percentile };

export interface Target {
  baseUrl: string;
  token: string;
  groupId: string;
  memberId: string;
}

function requestFor(kind: RequestKind, target: Target, index: number): LoadRequest {
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

/** The request mix of journey.ts against the target's group and member. */
export function requestsFor(target: Target): LoadRequest[] {
  return requestMix.map((kind, index) => requestFor(kind, target, index));
}

/** The headers of every request: the bearer token, JSON bodies. */
export function headersFor(target: Target): Record<string, string> {
  return { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' };
}

/** Runs the stages one after the other; `onStage` reports each as it ends. */
export function runLoad(
  target: Target,
  stages: readonly Stage[],
  onStage: (result: StageResult) => void = () => {},
): Promise<LoadResult> {
  return runStages({
    baseUrl: target.baseUrl,
    stages,
    requests: requestsFor(target),
    headers: headersFor(target),
    onStage,
  });
}

/** The k6 thresholds of journey.ts, applied to a result. No request at all is a failure. */
export function verdicts(result: LoadResult): Verdict[] {
  return verdictsOf(result, SLO);
}
