/**
 * `npm run load -- [smoke|average|spike] [--base-url URL] [--idp-url URL] [--json]`
 *
 * Runs a k6 scenario of this folder with autocannon and checks the same thresholds; exits 1 when
 * one is broken. Without --base-url it starts the dev IdP and where2eat itself (embedded
 * database, or DATABASE_URL when set) on loopback, with the rate limits raised so the limiter is
 * not what gets measured, and stops both at the end. TOKEN skips the token request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type DevIdp, loadOrCreateTls, startDevIdp } from '@micro-app/dev-idp';
import { freePort, stopChild } from '../bench/processes.ts';
import { runLoad, type Target, verdicts } from './autocannon.ts';
import { loadTestAppEnv, type ScenarioName, scenarios } from './scenarios.ts';

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run load -- [${Object.keys(scenarios).join('|')}] [--base-url URL] [--idp-url URL] [--json]`,
  );
  process.exit(2);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        'base-url': { type: 'string' },
        'idp-url': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
})();
const name = positionals[0] ?? 'smoke';
if (!Object.hasOwn(scenarios, name)) usage(`unknown scenario "${name}"`);
const scenario = scenarios[name as ScenarioName];
const log = (line: string) => {
  if (!values.json) console.log(line);
};

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

/** Starts the app as `npm start` would (telemetry first), its logs going to `logFile`. */
async function startApp(env: Record<string, string>, logFile: string) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './src/instrumentation.ts', 'src/main.ts'],
    {
      cwd: new URL('..', import.meta.url),
      env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', ...env },
      stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`where2eat exited with ${child.exitCode}; see ${logFile}`);
    const ready = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { child, url };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`where2eat was not ready within 45 s; see ${logFile}`);
}

let idp: DevIdp | undefined;
let app: { child: ChildProcess; url: string } | undefined;
let dataDir: string | undefined;

async function stop() {
  if (app) await stopChild(app.child);
  await idp?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

try {
  let baseUrl = values['base-url'];
  let idpUrl = values['idp-url'] ?? 'http://localhost:4000';
  if (!baseUrl) {
    log('starting the dev IdP and where2eat on loopback…');
    dataDir = await mkdtemp(join(tmpdir(), 'where2eat-load-'));
    // Over HTTPS: a production where2eat refuses a plain http:// issuer.
    const tls = await loadOrCreateTls(join(dataDir, 'tls'), ['localhost', '127.0.0.1']);
    idp = await startDevIdp({ port: 0, tls });
    idpUrl = idp.issuer;
    const logFile = join(tmpdir(), `where2eat-load-${process.pid}.log`);
    // Production settings, but for the embedded database when DATABASE_URL is unset.
    app = await startApp(
      {
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
      logFile,
    );
    baseUrl = app.url;
    log(`where2eat at ${baseUrl}, logs in ${logFile}`);
  }
  const accessToken = idp ? await idp.getUserToken('alice') : await token(idpUrl);
  const groupId = await post(`${baseUrl}/v1/groups`, accessToken, { name: `load ${name}` });
  const memberId = await post(`${baseUrl}/v1/groups/${groupId}/members`, accessToken, {
    name: 'Load tester',
  });
  const target: Target = { baseUrl, token: accessToken, groupId, memberId };

  const seconds = scenario.stages.reduce((sum, s) => sum + s.seconds, 0);
  log(`${name}: ${scenario.description} (${seconds} s against ${baseUrl})`);
  const result = await runLoad(target, scenario.stages, (stage) =>
    log(
      `  ${String(stage.rps).padStart(5)} req/s for ${stage.seconds} s: ${stage.requests} requests, ` +
        `${stage.achievedRps.toFixed(0)}/s achieved, p95 ${stage.p95Ms.toFixed(1)} ms, ${stage.failed} failed`,
    ),
  );
  const checks = verdicts(result);
  if (values.json) {
    console.log(JSON.stringify({ scenario: name, ...result, thresholds: checks }, null, 2));
  } else {
    for (const check of checks) {
      log(`${check.ok ? '✓' : '✗'} ${check.name} ${check.threshold}: ${check.actual}`);
    }
  }
  process.exitCode = checks.every((check) => check.ok) ? 0 : 1;
} catch (error) {
  console.error(`load run failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await stop();
}
