import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemBinary } from '@micro-app/ci-tools/system-binaries';
import { createTestDatabase } from '@micro-app/db/testing';
import { type DevIdp, loadOrCreateTls, startDevIdp } from '@micro-app/dev-idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverApps } from './apps.ts';
import { buildApp } from './build.ts';
import { loadConfig, REPO_ROOT } from './config.ts';
import { withImageFolder } from './image-files.ts';
import { podman, podmanOk, ULIMITS } from './podman.ts';

// The real where2eat image, built with podman and run as the chart runs it (non-root, read-only
// root filesystem, no capabilities) against a real PostgreSQL and the real dev IdP.

const config = loadConfig();
const podmanBinary = systemBinary('podman');
let skipReason = podmanBinary.skipReason;
if (!skipReason && !config.databaseUrl) {
  const why = 'DATABASE_URL is unset: the image runs against a real PostgreSQL';
  if (config.ci) throw new Error(`${why} (required under CI=true)`);
  skipReason = `SKIPPED: ${why}`;
  console.warn(skipReason);
}
const app = discoverApps(REPO_ROOT).find((a) => a.app === 'where2eat');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${String(last ?? '')})`);
}

function walk(dir: string, out: string[] = [], base = dir): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) walk(path, out, base);
    else out.push(path.slice(base.length + 1));
  }
  return out;
}

describe.skipIf(skipReason)('the where2eat image, run as production runs it', () => {
  const name = `where2eat-image-test-${process.pid}`;
  let idp: DevIdp;
  let tlsDir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let baseUrl: string;
  let tag: string;

  beforeAll(async () => {
    if (!app) throw new Error('apps/where2eat/Dockerfile is missing');
    tag = (await buildApp(app, { repoRoot: REPO_ROOT })).tag;
    database = await createTestDatabase(config.databaseUrl as string);
    // HTTPS: the production image refuses a plain http:// issuer. It trusts this one certificate.
    tlsDir = mkdtempSync(join(tmpdir(), 'where2eat-image-tls-'));
    chmodSync(tlsDir, 0o755);
    const tls = await loadOrCreateTls(tlsDir, ['127.0.0.1', 'localhost']);
    idp = await startDevIdp({ port: 0, host: '127.0.0.1', tls });
    const port = await freePort();
    const metricsPort = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    // Started before the migrations ran: it must come up live but not ready.
    podmanOk([
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      ...ULIMITS,
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--env',
      `DATABASE_URL=${database.url}`,
      '--env',
      `AUTH_ISSUER=${idp.issuer}`,
      '--env',
      'NODE_EXTRA_CA_CERTS=/certs/cert.pem',
      '--volume',
      `${tlsDir}:/certs:ro`,
      '--env',
      `AUTH_AUDIENCE=${idp.audience}`,
      '--env',
      `PORT=${port}`,
      '--env',
      `METRICS_PORT=${metricsPort}`,
      tag,
    ]);
    await waitFor('/health/live', async () => {
      const res = await fetch(`${baseUrl}/health/live`);
      return res.ok ? true : undefined;
    });
  }, 1_500_000);

  afterAll(async () => {
    if (skipReason) return;
    const logs = podman(['logs', '--tail', '40', name]);
    if (logs.status === 0 && process.env.IMAGE_TEST_LOGS === '1') console.log(logs.stdout);
    podman(['rm', '--force', '--time', '0', name]);
    await idp?.close();
    await database?.drop();
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  });

  it('holds no dev IdP, devDependencies, tests or TypeScript sources', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'apps/where2eat/package.json'), 'utf8'));
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    const devOnly = [
      ...Object.keys(pkg.devDependencies ?? {}),
      ...Object.keys(root.devDependencies ?? {}),
    ].filter((dep) => !(dep in (pkg.dependencies ?? {})));
    await withImageFolder(tag, '/app', (dir) => {
      const appDir = join(dir, 'app');
      const files = walk(appDir);
      expect(files.length).toBeGreaterThan(1_000);
      expect(existsSync(join(appDir, 'apps/where2eat/dist/main.js'))).toBe(true);
      expect(existsSync(join(appDir, 'apps/dev-idp'))).toBe(false);
      // The API client ships built: the web UI calls the API through it.
      expect(existsSync(join(appDir, 'packages/where2eat-client/dist/index.js'))).toBe(true);
      expect(existsSync(join(appDir, 'packages/where2eat-client/src'))).toBe(false);
      // A dev dependency may ship only when a shipped package needs it (protobufjs needs
      // @types/node): collect what every shipped manifest depends on.
      const needed = new Set<string>();
      for (const manifest of files.filter((f) => f.endsWith('package.json'))) {
        const meta = JSON.parse(readFileSync(join(appDir, manifest), 'utf8'));
        for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
          for (const dep of Object.keys(meta[field] ?? {})) needed.add(dep);
        }
      }
      for (const dep of devOnly.filter((d) => !needed.has(d) || d.startsWith('@micro-app/'))) {
        expect(existsSync(join(appDir, 'node_modules', dep)), `devDependency ${dep}`).toBe(false);
      }
      expect(devOnly).toContain('@micro-app/dev-idp');
      expect(files.filter((f) => /(^|\/)[^/]+\.(test|spec)\.[cm]?[jt]sx?$/.test(f))).toEqual([]);
      expect(files.filter((f) => /\.[cm]?tsx?$/.test(f))).toEqual([]);
      expect(files.filter((f) => /oidc-provider|\/koa\//.test(f))).toEqual([]);
    });
  });

  it('is not ready while the schema is behind the code', async () => {
    const res = await fetch(`${baseUrl}/health/ready`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('migrations');
  });

  it('migrates with only DATABASE_URL, then turns ready', async () => {
    const migrate = podman(
      [
        'run',
        '--rm',
        '--network',
        'host',
        ...ULIMITS,
        '--read-only',
        '--cap-drop',
        'ALL',
        '--env',
        `DATABASE_URL=${database.url}`,
        tag,
        'node',
        'dist/migrate.js',
      ],
      { timeout: 120_000 },
    );
    expect(migrate.stderr + migrate.stdout).toContain('migrations applied');
    expect(migrate.status).toBe(0);
    const status = await waitFor('/health/ready 200', async () => {
      const res = await fetch(`${baseUrl}/health/ready`);
      return res.status === 200 ? res.status : undefined;
    });
    expect(status).toBe(200);
  });

  it("serves the API reference with Scalar's bundle from the image's production dependencies", async () => {
    const page = await fetch(`${baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self';");
    expect(await page.text()).toContain('src="/docs/scalar.js?v=');
    const script = await fetch(`${baseUrl}/docs/scalar.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('createApiReference');
  });

  it("answers the README's journey: group, member, preferences, recommendation", async () => {
    const token = await idp.getUserToken('alice');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const group = await fetch(`${baseUrl}/v1/groups`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': `image-${process.pid}` },
      body: JSON.stringify({ name: 'Friday lunch' }),
    });
    expect(group.status).toBe(201);
    const { id } = (await group.json()) as { id: string };
    const member = await fetch(`${baseUrl}/v1/groups/${id}/members`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Alice' }),
    });
    expect(member.status).toBe(201);
    const me = ((await member.json()) as { id: string }).id;
    const prefs = await fetch(`${baseUrl}/v1/groups/${id}/members/${me}/preferences`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ likes: ['thai', 'korean'], vetoes: ['american'] }),
    });
    expect(prefs.status).toBe(200);
    const rec = await fetch(`${baseUrl}/v1/groups/${id}/recommendation`, { headers });
    expect(rec.status).toBe(200);
    expect(JSON.stringify(await rec.json())).toMatch(/thai|korean/);
    const anonymous = await fetch(`${baseUrl}/v1/groups/${id}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
  });

  it('runs as uid 1000 on a read-only root filesystem', () => {
    expect(podmanOk(['exec', name, 'id', '-u']).trim()).toBe('1000');
    const inspect = JSON.parse(podmanOk(['inspect', name]))[0];
    expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    const write = podman(['exec', name, 'node', '-e', "require('fs').writeFileSync('/app/x','')"]);
    expect(write.status).not.toBe(0);
    expect(write.stderr).toMatch(/EROFS|read-only/);
  });

  it("passes the image's own HEALTHCHECK", () => {
    const inspect = JSON.parse(podmanOk(['image', 'inspect', tag]))[0];
    expect(JSON.stringify(inspect.Config.Healthcheck ?? inspect.Healthcheck)).toContain(
      '/health/live',
    );
    const check = podman(['healthcheck', 'run', name]);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('exits 0 on SIGTERM within the grace period', () => {
    const stop = podman(['stop', '--time', '20', name], { timeout: 60_000 });
    expect(stop.status).toBe(0);
    const state = JSON.parse(podmanOk(['inspect', name]))[0].State;
    // 137 would mean podman had to SIGKILL it after the 20 s grace period.
    expect(state.ExitCode).toBe(0);
  });
});
