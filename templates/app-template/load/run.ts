/**
 * `npm run load -- [smoke] [--base-url URL] [--idp-url URL] [--seconds N] [--json]`
 *
 * The k6 smoke test (smoke.ts) from Node: autocannon through @micro-app/load, the same rate,
 * requests and thresholds, bounded in requests and time, against loopback only; exits 1 when a
 * threshold is broken. Without --base-url it starts the dev IdP and app-template itself on
 * loopback (the embedded database, or DATABASE_URL when set), with the rate limits raised so the
 * limiter is not what gets measured, and stops both at the end. With --base-url it gets a token
 * from the dev IdP at --idp-url (default http://localhost:4000, started with
 * EXTRA_AUDIENCES=app-template), or takes TOKEN. --seconds N cuts the run to N seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevIdp, loadOrCreateTls, startDevIdp } from '@micro-app/dev-idp';
import { runLoadCommand, type StartedApp, startApp } from '@micro-app/load';
import { headersFor, requestsFor } from './mix.ts';
import { loadTestAppEnv, SLO, scenarios } from './scenarios.ts';

const AUDIENCE = 'app-template';

async function token(idpUrl: string): Promise<string> {
  if (process.env.TOKEN) return process.env.TOKEN;
  const res = await fetch(`${idpUrl.replace(/\/$/, '')}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'dev-cli',
      username: 'alice',
      password: 'alice',
      resource: `urn:${AUDIENCE}`,
    }),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string };
  if (!res.ok || !body.access_token) {
    throw new Error(`token request to ${idpUrl} failed: ${res.status}`);
  }
  return body.access_token;
}

/** The dev IdP and the app, started here; `stop` undoes everything. */
interface Started {
  baseUrl: string;
  idp: DevIdp;
  stop: () => Promise<void>;
}

async function start(log: (line: string) => void): Promise<Started> {
  log('starting the dev IdP and app-template on loopback…');
  const dataDir = await mkdtemp(join(tmpdir(), 'app-template-load-'));
  let idp: DevIdp | undefined;
  let app: StartedApp | undefined;
  const stop = async () => {
    await app?.stop();
    await idp?.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    // Over HTTPS: with DATABASE_URL the app runs in production mode, which refuses http://.
    const tls = await loadOrCreateTls(join(dataDir, 'tls'), ['localhost', '127.0.0.1']);
    idp = await startDevIdp({ port: 0, tls, audience: AUDIENCE });
    // Started as `npm start` would (telemetry first), from the sources.
    app = await startApp({
      name: 'app-template',
      cwd: new URL('..', import.meta.url),
      args: ['--import', 'tsx', '--import', './src/instrumentation.ts', 'src/main.ts'],
      logFile: join(tmpdir(), `app-template-load-${process.pid}.log`),
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
          : { DATA_DIR: join(dataDir, 'pglite') }),
      },
    });
    log(`app-template at ${app.url}, logs in ${app.logFile}`);
    return { baseUrl: app.url, idp, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

process.exitCode = await runLoadCommand<Started>({
  argv: process.argv.slice(2),
  scenarios,
  thresholds: SLO,
  flags: ['idp-url'],
  start: ({ log }) => start(log),
  prepare: async ({ baseUrl, started, scenario, flags }) => {
    const accessToken = started
      ? await started.idp.getUserToken('alice')
      : await token(flags['idp-url'] ?? 'http://localhost:4000');
    const headers = headersFor(accessToken);
    const res = await fetch(`${baseUrl}/v1/notes`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: `load ${scenario} ${Date.now()}` }),
    });
    const note = (await res.json().catch(() => ({}))) as { id?: string };
    if (res.status !== 201 || !note.id) throw new Error(`POST /v1/notes answered ${res.status}`);
    const noteId = note.id;
    return {
      requests: requestsFor(noteId),
      headers,
      // The note the run created goes again (a target that keeps running keeps no trace).
      cleanup: async () => {
        await fetch(`${baseUrl}/v1/notes/${noteId}`, { method: 'DELETE', headers });
      },
    };
  },
});
