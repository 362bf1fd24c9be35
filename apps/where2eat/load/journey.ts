/**
 * What every k6 scenario does: `setup()` gets a token from the identity provider and creates a
 * group with a member and preferences; each iteration sends one request of the mix; the
 * thresholds are the SLO's. Environment: BASE_URL (default http://localhost:3000), IDP_URL
 * (default http://localhost:4000, the dev IdP), or TOKEN to skip the token request.
 */
import { check, fail } from 'k6';
import exec from 'k6/execution';
import http, { type RefinedParams, type ResponseType } from 'k6/http';
import type { Options } from 'k6/options';
import {
  preferenceSets,
  type RequestKind,
  requestMix,
  type ScenarioName,
  SLO,
  scenarios,
} from './scenarios.ts';

const BASE_URL = (__ENV.BASE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const IDP_URL = (__ENV.IDP_URL ?? 'http://localhost:4000').replace(/\/$/, '');

export interface JourneyData {
  token: string;
  groupId: string;
  memberId: string;
}

/** k6 options for a scenario: an arrival-rate executor over its stages, and the SLO thresholds. */
export function optionsFor(name: ScenarioName): Options {
  const { stages } = scenarios[name];
  const peak = Math.max(...stages.map((stage) => stage.rps));
  return {
    scenarios: {
      [name]: {
        executor: 'ramping-arrival-rate',
        startRate: stages[0]?.rps ?? 1,
        timeUnit: '1s',
        // Each block: a one-second step to its rate, then hold.
        stages: stages.flatMap((stage) => [
          { target: stage.rps, duration: '1s' },
          { target: stage.rps, duration: `${stage.seconds - 1}s` },
        ]),
        preAllocatedVUs: Math.max(5, Math.ceil(peak / 10)),
        maxVUs: Math.max(20, peak),
      },
    },
    thresholds: {
      http_req_duration: [`p(95)<${SLO.p95Ms}`],
      'http_req_duration{route:recommendation}': [`p(95)<${SLO.p95Ms}`],
      http_req_failed: [`rate<${SLO.errorRate}`],
      checks: [`rate>${1 - SLO.errorRate}`],
    },
    summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
  };
}

function bearer(token: string, route: string): RefinedParams<ResponseType> {
  return {
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    tags: { route },
  };
}

function token(): string {
  if (__ENV.TOKEN) return __ENV.TOKEN;
  const res = http.post(`${IDP_URL}/token`, {
    grant_type: 'password',
    client_id: 'dev-cli',
    username: __ENV.LOAD_USER ?? 'alice',
    password: __ENV.LOAD_PASSWORD ?? __ENV.LOAD_USER ?? 'alice',
  });
  const accessToken = res.status === 200 ? res.json('access_token') : undefined;
  if (typeof accessToken !== 'string') fail(`token request failed: ${res.status} ${res.body}`);
  return accessToken;
}

/** Creates the data the iterations read; runs once before the load. */
export function setup(): JourneyData {
  const accessToken = token();
  const ready = http.get(`${BASE_URL}/health/ready`);
  if (ready.status !== 200) fail(`${BASE_URL} is not ready: ${ready.status} ${ready.body}`);

  const group = http.post(
    `${BASE_URL}/v1/groups`,
    JSON.stringify({ name: `load ${exec.scenario.name} ${Date.now()}` }),
    bearer(accessToken, 'setup'),
  );
  const groupId = group.status === 201 ? group.json('id') : undefined;
  if (typeof groupId !== 'string') fail(`creating the group failed: ${group.status} ${group.body}`);

  const member = http.post(
    `${BASE_URL}/v1/groups/${groupId}/members`,
    JSON.stringify({ name: 'Load tester' }),
    bearer(accessToken, 'setup'),
  );
  const memberId = member.status === 201 ? member.json('id') : undefined;
  if (typeof memberId !== 'string') fail(`adding a member failed: ${member.status} ${member.body}`);

  return { token: accessToken, groupId, memberId };
}

function send(kind: RequestKind, data: JourneyData, iteration: number) {
  const group = `${BASE_URL}/v1/groups/${data.groupId}`;
  const params = bearer(data.token, kind);
  switch (kind) {
    case 'recommendation':
      return http.get(`${group}/recommendation`, params);
    case 'list':
      return http.get(`${BASE_URL}/v1/groups?limit=20`, params);
    case 'group':
      return http.get(group, params);
    case 'preferences':
      return http.put(
        `${group}/members/${data.memberId}/preferences`,
        JSON.stringify(preferenceSets[iteration % preferenceSets.length]),
        params,
      );
  }
}

/** One iteration: the next request of the mix. */
export function iterate(data: JourneyData): void {
  const iteration = exec.scenario.iterationInTest;
  const kind = requestMix[iteration % requestMix.length] ?? 'recommendation';
  const res = send(kind, data, iteration);
  check(res, { [`${kind}: 2xx`]: (r) => r.status >= 200 && r.status < 300 });
}

/** Removes the group the run created. */
export function teardown(data: JourneyData): void {
  http.del(`${BASE_URL}/v1/groups/${data.groupId}`, null, bearer(data.token, 'teardown'));
}
