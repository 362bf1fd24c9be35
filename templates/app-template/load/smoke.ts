/**
 * k6 smoke test: a few requests per second for 20 s against a running app-template; the thresholds
 * are the SLO's (docs/slo.md, scenarios.ts). Run: k6 run apps/app-template/load/smoke.ts
 * (without k6: npm run load, see run.ts).
 *
 * Environment: BASE_URL (default http://localhost:3099), IDP_URL (default http://localhost:4000,
 * the dev IdP, started with EXTRA_AUDIENCES=app-template), or TOKEN to skip the token request.
 */
import { check, fail } from 'k6';
import http from 'k6/http';
import type { Options } from 'k6/options';
import { SLO, scenarios } from './scenarios.ts';

const BASE_URL = (__ENV.BASE_URL ?? 'http://localhost:3099').replace(/\/$/, '');
const IDP_URL = (__ENV.IDP_URL ?? 'http://localhost:4000').replace(/\/$/, '');

export const options: Options = {
  scenarios: {
    smoke: {
      executor: 'constant-arrival-rate',
      rate: scenarios.smoke.stages[0].rps,
      timeUnit: '1s',
      duration: `${scenarios.smoke.stages[0].seconds}s`,
      preAllocatedVUs: 5,
      maxVUs: 20,
    },
  },
  thresholds: {
    http_req_duration: [`p(95)<${SLO.p95Ms}`],
    http_req_failed: [`rate<${SLO.errorRate}`],
    checks: [`rate>${1 - SLO.errorRate}`],
  },
};

interface Data {
  token: string;
  noteId: string;
}

function token(): string {
  if (__ENV.TOKEN) return __ENV.TOKEN;
  const res = http.post(`${IDP_URL}/token`, {
    grant_type: 'password',
    client_id: 'dev-cli',
    username: 'alice',
    password: 'alice',
    resource: 'urn:app-template',
  });
  const accessToken = res.status === 200 ? res.json('access_token') : undefined;
  if (typeof accessToken !== 'string') fail(`token request failed: ${res.status} ${res.body}`);
  return accessToken;
}

const headers = (accessToken: string) => ({
  Authorization: `Bearer ${accessToken}`,
  'Content-Type': 'application/json',
});

/** Gets a token and creates the note the iterations read; runs once before the load. */
export function setup(): Data {
  const accessToken = token();
  const ready = http.get(`${BASE_URL}/health/ready`);
  if (ready.status !== 200) fail(`${BASE_URL} is not ready: ${ready.status} ${ready.body}`);
  const res = http.post(`${BASE_URL}/v1/notes`, JSON.stringify({ title: `smoke ${Date.now()}` }), {
    headers: headers(accessToken),
  });
  const noteId = res.status === 201 ? res.json('id') : undefined;
  if (typeof noteId !== 'string') fail(`creating a note failed: ${res.status} ${res.body}`);
  return { token: accessToken, noteId };
}

export default function iterate(data: Data): void {
  const params = { headers: headers(data.token) };
  check(http.get(`${BASE_URL}/v1/notes/${data.noteId}`, params), {
    'note: 200': (r) => r.status === 200,
  });
  check(http.get(`${BASE_URL}/v1/notes?limit=20`, params), {
    'list: 200': (r) => r.status === 200,
  });
}

/** Removes the note the run created. */
export function teardown(data: Data): void {
  http.del(`${BASE_URL}/v1/notes/${data.noteId}`, null, { headers: headers(data.token) });
}
