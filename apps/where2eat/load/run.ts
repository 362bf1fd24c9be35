/**
 * `npm run load -- [smoke|average|spike] [--base-url URL] [--idp-url URL] [--seconds N] [--json]`
 *
 * Runs a k6 scenario of this folder with autocannon (@micro-app/load) and checks the same
 * thresholds; exits 1 when one is broken. Without --base-url it starts the dev IdP and where2eat
 * itself (embedded database, or DATABASE_URL when set) on loopback, with the rate limits raised
 * so the limiter is not what gets measured, and stops both at the end. TOKEN skips the token
 * request. --seconds N cuts each stage to at most N seconds (the same rates, a shorter run).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevIdp, loadOrCreateTls, startDevIdp } from '@micro-app/dev-idp';
import { runLoadCommand, type StartedApp, startApp } from '@micro-app/load';
import { headersFor, requestsFor } from './autocannon.ts';
import { loadTestAppEnv, SLO, scenarios } from './scenarios.ts';

async function token(idpUrl: string): Promise<string> {
  if (process.env.TOKEN) return process.env.TOKEN;
  const res = await fetch(`${idpUrl.replace(/\/$/, '')}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'dev-cli',
      username: 'alice',
      password: 'alice',
    }),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string };
  if (!res.ok || !body.access_token)
    throw new Error(`token request to ${idpUrl} failed: ${res.status}`);
  return body.access_token;
}

async function post(url: string, accessToken: string, body: unknown): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { id?: string };
  if (res.status !== 201 || !json.id) throw new Error(`POST ${url} answered ${res.status}`);
  return json.id;
}

/** The dev IdP and where2eat, started here; `stop` undoes everything. */
interface Started {
  baseUrl: string;
  idp: DevIdp;
  stop: () => Promise<void>;
}

async function start(log: (line: string) => void): Promise<Started> {
  log('starting the dev IdP and where2eat on loopback…');
  const dataDir = await mkdtemp(join(tmpdir(), 'where2eat-load-'));
  let idp: DevIdp | undefined;
  let app: StartedApp | undefined;
  const stop = async () => {
    await app?.stop();
    await idp?.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    // Over HTTPS: a production where2eat refuses a plain http:// issuer.
    const tls = await loadOrCreateTls(join(dataDir, 'tls'), ['localhost', '127.0.0.1']);
    idp = await startDevIdp({ port: 0, tls });
    // Started as `npm start` would (telemetry first); production settings, but for the
    // embedded database when DATABASE_URL is unset.
    app = await startApp({
      name: 'where2eat',
      cwd: new URL('..', import.meta.url),
      args: ['--import', 'tsx', '--import', './src/instrumentation.ts', 'src/main.ts'],
      logFile: join(tmpdir(), `where2eat-load-${process.pid}.log`),
      env: {
        PATH: process.env.PATH,
        ...loadTestAppEnv,
        NODE_ENV: process.env.DATABASE_URL ? 'production' : 'test',
        SHUTDOWN_DRAIN_MS: '0',
        AUTH_ISSUER: idp.issuer,
        AUTH_AUDIENCE: idp.audience,
        NODE_EXTRA_CA_CERTS: join(dataDir, 'tls', 'cert.pem'),
        ...(process.env.DATABASE_URL
          ? { DATABASE_URL: process.env.DATABASE_URL, MIGRATE_ON_START: 'true' }
          : { DATA_DIR: dataDir }),
      },
    });
    log(`where2eat at ${app.url}, logs in ${app.logFile}`);
    return { baseUrl: app.url, idp, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

process.exitCode = await runLoadCommand<Started>({
  argv: process.argv.slice(2),
  scenarios,
  defaultScenario: 'smoke',
  thresholds: SLO,
  flags: ['idp-url'],
  start: ({ log }) => start(log),
  prepare: async ({ baseUrl, started, scenario, flags }) => {
    const accessToken = started
      ? await started.idp.getUserToken('alice')
      : await token(flags['idp-url'] ?? 'http://localhost:4000');
    const groupId = await post(`${baseUrl}/v1/groups`, accessToken, {
      name: `load ${scenario}`,
    });
    const memberId = await post(`${baseUrl}/v1/groups/${groupId}/members`, accessToken, {
      name: 'Load tester',
    });
    const target = { baseUrl, token: accessToken, groupId, memberId };
    return { requests: requestsFor(target), headers: headersFor(target) };
  },
});
