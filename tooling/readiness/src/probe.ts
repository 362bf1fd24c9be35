import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevIdp } from '@micro-app/dev-idp';
import { isMap } from './apps.js';
import { fail, pass } from './result.js';
import type { AppInfo, CheckResult } from './types.js';

export interface ProbeOptions {
  /** How long the app may take to answer `/health/live` (ms). Default 45 000. */
  startTimeoutMs?: number;
  /** Timeout of each request (ms). Default 5 000. */
  requestTimeoutMs?: number;
  /** Progress lines while the probe runs (it takes seconds). */
  progress?: (message: string) => void;
}

/** Where apps built like where2eat serve their OpenAPI document; the first that answers wins. */
export const OPENAPI_PATHS = ['/openapi.json', '/openapi', '/doc', '/api-docs'] as const;

/** Routes that are public by design: health probes and the API documentation. */
export function isPublicPath(path: string): boolean {
  return (
    path === '/health' ||
    path.startsWith('/health/') ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    (OPENAPI_PATHS as readonly string[]).includes(path)
  );
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

interface Operation {
  method: (typeof METHODS)[number];
  /** OpenAPI path template, e.g. `/v1/groups/{groupId}`. */
  path: string;
  /** The path with every parameter filled with a well-formed placeholder. */
  url: string;
}

/** Operations of an OpenAPI document, each with a concrete URL path to call. */
export function operationsOf(doc: unknown): Operation[] {
  const paths = isMap(doc) && isMap(doc.paths) ? doc.paths : {};
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (!isMap(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isMap(op)) continue;
      const params = [
        ...(Array.isArray(item.parameters) ? item.parameters : []),
        ...(Array.isArray(op.parameters) ? op.parameters : []),
      ].filter(isMap);
      const url = path.replace(/\{([^}]+)\}/g, (_all, name: string) => {
        const schema = params.find((p) => p.in === 'path' && p.name === name)?.schema;
        const format = isMap(schema) ? schema.format : undefined;
        const type = isMap(schema) ? schema.type : undefined;
        if (format === 'uuid') return '00000000-0000-4000-8000-000000000000';
        if (type === 'integer' || type === 'number') return '1';
        return 'readiness-probe';
      });
      out.push({ method, path, url });
    }
  }
  return out;
}

/** The last lines of a crashed process worth reading: no stack frames, carets or version banner. */
function lastWords(lines: readonly string[]): string {
  const meaningful = lines.filter(
    (l) => !/^\s+at\s/.test(l) && !/^\s*\^+\s*$/.test(l) && !/^Node\.js v/.test(l),
  );
  return meaningful.slice(-2).join(' | ') || 'no output';
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The runtime gates: starts the app as `npm run dev` would (telemetry through `--import`, embedded
 * defaults, a temporary data folder) against an in-process dev OIDC provider, then
 * - health: `/health/live` and `/health/ready` answer 200;
 * - auth: every operation of its OpenAPI document, except health and docs routes, answers 401
 *   without a token;
 * - rate-limits: an authenticated GET carries a `RateLimit-Policy` header.
 * The app is stopped (SIGTERM, then SIGKILL after 5 s) before this resolves.
 */
export async function probeApp(app: AppInfo, options: ProbeOptions = {}): Promise<CheckResult[]> {
  const { startTimeoutMs = 45_000, requestTimeoutMs = 5_000, progress = () => {} } = options;
  const red = (reason: string): CheckResult[] => [
    fail('auth', reason),
    fail('rate-limits', reason),
    fail('health', reason),
  ];
  for (const file of ['src/main.ts', 'src/instrumentation.ts']) {
    if (!existsSync(join(app.dir, file))) return red(`cannot start the app: ${file} is missing`);
  }

  const idp = await startDevIdp({ port: 0, audience: app.serviceName });
  const dataDir = await mkdtemp(join(tmpdir(), `readiness-${app.name}-`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  progress(`${app.name}: starting the app on port ${port} for the runtime probe`);
  const child = spawn(
    process.execPath,
    // tsx resolved from here, so the probe works for any app folder, in the tree or not.
    ['--import', import.meta.resolve('tsx'), '--import', './src/instrumentation.ts', 'src/main.ts'],
    {
      cwd: app.dir,
      env: {
        NODE_ENV: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DATA_DIR: dataDir,
        AUTH_ISSUER: idp.issuer,
        AUTH_AUDIENCE: idp.audience,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (chunk: Buffer): void => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    output.splice(0, Math.max(0, output.length - 60));
  };
  child.on('error', (err) => output.push(`spawn failed: ${err.message}`));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const call = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(requestTimeoutMs) });

  try {
    const started = Date.now();
    let live: Response | undefined;
    while (!live) {
      if (child.exitCode !== null) {
        return red(`the app exited with ${child.exitCode} at start: ${lastWords(output)}`);
      }
      if (Date.now() - started > startTimeoutMs) {
        return red(`/health/live did not answer within ${startTimeoutMs} ms`);
      }
      live = await call('/health/live').catch(() => undefined);
      if (!live) await new Promise((r) => setTimeout(r, 200));
    }
    progress(`${app.name}: up after ${Date.now() - started} ms; probing`);
    const results: CheckResult[] = [];

    let ready = await call('/health/ready').catch(() => undefined);
    for (let i = 0; i < 25 && ready?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      ready = await call('/health/ready').catch(() => undefined);
    }
    results.push(
      live.status === 200 && ready?.status === 200
        ? pass('health', '/health/live 200, /health/ready 200')
        : fail(
            'health',
            `/health/live ${live.status}, /health/ready ${ready?.status ?? 'no answer'}`,
          ),
    );

    let doc: unknown;
    let docPath: string | undefined;
    for (const path of OPENAPI_PATHS) {
      const res = await call(path).catch(() => undefined);
      const body: unknown = res?.ok ? await res.json().catch(() => undefined) : undefined;
      if (isMap(body) && typeof body.openapi === 'string' && isMap(body.paths)) {
        doc = body;
        docPath = path;
        break;
      }
    }
    if (!docPath) {
      const reason = `no OpenAPI document at ${OPENAPI_PATHS.join(', ')}: cannot list the routes`;
      return [fail('auth', reason), fail('rate-limits', reason), ...results];
    }
    const operations = operationsOf(doc).filter((op) => !isPublicPath(op.path));
    progress(`${app.name}: ${operations.length} operations in ${docPath}`);

    if (operations.length === 0) {
      results.push(fail('auth', `${docPath} lists no operation outside health and docs`));
    } else {
      const open: string[] = [];
      for (const op of operations) {
        const body = ['post', 'put', 'patch'].includes(op.method) ? '{}' : undefined;
        const res = await call(op.url, {
          method: op.method.toUpperCase(),
          ...(body ? { body, headers: { 'Content-Type': 'application/json' } } : {}),
        }).catch((err: Error) => err);
        const status = res instanceof Response ? res.status : res.message;
        if (res instanceof Response) await res.body?.cancel();
        if (status !== 401) open.push(`${op.method.toUpperCase()} ${op.path} → ${status}`);
      }
      results.push(
        open.length === 0
          ? pass(
              'auth',
              `all ${operations.length} operations in ${docPath} answer 401 without a token`,
            )
          : fail('auth', `answered without a token: ${open.join(', ')}`),
      );
    }

    const gets = operations.filter((op) => op.method === 'get');
    const target = gets.find((op) => !op.path.includes('{')) ?? gets[0];
    if (!target) {
      results.push(fail('rate-limits', `${docPath} has no GET operation to probe`));
    } else {
      const token = await idp.getUserToken('alice');
      const res = await call(target.url, { headers: { Authorization: `Bearer ${token}` } });
      await res.body?.cancel();
      const policy = res.headers.get('RateLimit-Policy');
      results.push(
        res.status === 401 || res.status === 403
          ? fail('rate-limits', `GET ${target.path} rejected the dev token: ${res.status}`)
          : policy
            ? pass('rate-limits', `GET ${target.path} → ${res.status}, RateLimit-Policy: ${policy}`)
            : fail(
                'rate-limits',
                `GET ${target.path} → ${res.status} without a RateLimit-Policy header`,
              ),
      );
    }
    return results;
  } finally {
    await stop(child);
    await idp.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
