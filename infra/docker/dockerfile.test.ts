import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './dockerfile.js';
import { type DockerfileRule, lintDockerfile } from './dockerfile-rules.js';
import { isIgnored, readDockerignore, replayDockerfile } from './replay.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const dockerfilePath = join(repoRoot, 'apps/where2eat/Dockerfile');
const dockerfile = readFileSync(dockerfilePath, 'utf8');

/** The real Dockerfile with one exact piece replaced; fails if the piece is not there. */
function mutate(from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? dockerfile.includes(from) : from.test(dockerfile);
  if (!found) throw new Error(`the Dockerfile no longer contains ${String(from)}`);
  return dockerfile.replace(from, to);
}

function rulesOf(text: string): DockerfileRule[] {
  return [...new Set(lintDockerfile(text).map((f) => f.rule))].sort();
}

describe('parseDockerfile', () => {
  it('joins continuation lines, drops comments inside them and reads flags and stages', () => {
    const df = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1.7',
        'ARG V=1',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile or GitHub syntax, not a JS template
        'FROM node:${V} AS Build',
        'RUN --mount=type=cache,target=/root/.npm \\',
        '  # a comment inside',
        '  npm ci',
        'FROM build',
        'CMD ["node", "x.js"]',
      ].join('\n'),
    );
    expect(df.directives).toEqual({ syntax: 'docker/dockerfile:1.7' });
    expect(df.globalArgs.map((a) => a.args)).toEqual(['V=1']);
    expect(df.stages.map((s) => [s.name, s.from])).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile or GitHub syntax, not a JS template
      ['build', 'node:${V}'],
      [undefined, 'build'],
    ]);
    const run = df.stages[0]?.instructions[0];
    expect(run?.flags).toEqual([{ name: 'mount', value: 'type=cache,target=/root/.npm' }]);
    expect(run?.args).toBe('npm ci');
    expect(run?.line).toBe(4);
  });

  it('rejects an instruction other than ARG before FROM', () => {
    expect(() => parseDockerfile('RUN true\nFROM node:24')).toThrow(/before the first FROM/);
  });
});

describe('apps/where2eat/Dockerfile rules', () => {
  it('passes every rule', () => {
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });

  const cases: Array<[DockerfileRule, string]> = [
    ['pinned-base-image', mutate('ARG NODE_VERSION=24.11.1', 'ARG NODE_VERSION=lts')],
    ['no-latest', mutate('FROM base AS runtime', 'FROM node:latest AS runtime')],
    ['non-root-user', mutate('USER 1000:1000', 'USER root')],
    ['non-root-user', mutate('USER 1000:1000', '')],
    ['healthcheck', mutate(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, '')],
    ['healthcheck', mutate("'/health/live'", "'/health/ready'")],
    ['npm-ci', mutate(/npm ci\n/, 'npm install\n')],
    ['npm-cache-mount', mutate(/(FROM base AS build[\s\S]*?)RUN --mount=[^\n]*\n/, '$1RUN ')],
    ['oci-labels', mutate(/\s*org\.opencontainers\.image\.revision="\$\{GIT_SHA\}" \\/, '')],
    ['oci-labels', mutate('ARG GIT_SHA=unknown', 'ARG COMMIT=unknown')],
    ['no-add', mutate('COPY tsconfig.base.json ./', 'ADD https://example.com/t.tgz ./')],
    [
      'exec-form',
      mutate(
        /CMD \["node", "--import"[^\n]*/,
        'CMD node --import ./dist/instrumentation.js dist/main.js',
      ),
    ],
    [
      'instrumentation-import',
      mutate(/CMD \["node", "--import"[^\n]*/, 'CMD ["node", "dist/main.js"]'),
    ],
    ['turbo-prune', mutate('prune @micro-app/where2eat --docker', 'prune @micro-app/where2eat')],
    ['prod-dependencies', mutate('RUN npm prune --omit=dev \\', 'RUN true \\')],
    ['no-secrets', mutate('ARG SOURCE_URL=""', 'ARG NPM_TOKEN=""\nARG SOURCE_URL=""')],
    ['no-secrets', mutate('DATA_DIR=/data \\', 'DATA_DIR=/data \\\n    DB_PASSWORD=hunter2 \\')],
    ['absolute-workdir', mutate('WORKDIR /app/apps/where2eat', 'WORKDIR apps/where2eat')],
    ['syntax-directive', mutate('# syntax=docker/dockerfile:1.7\n', '')],
    ['runtime-copies-from-stages', mutate('COPY --from=prod /app /app', 'COPY . /app')],
    ['pipefail', mutate('RUN npx turbo run build', 'RUN echo build | cat && npx turbo run build')],
    ['no-cd', mutate('RUN npx turbo run build', 'RUN cd apps && npx turbo run build')],
    ['multi-stage', 'FROM node:24.11.1-bookworm-slim\nUSER 1000\nCMD ["node", "main.js"]\n'],
  ];
  it.each(cases)('reports %s when the file breaks it', (rule, text) => {
    expect(rulesOf(text)).toContain(rule);
  });

  it('accepts a base image pinned by digest', () => {
    const text = mutate(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile or GitHub syntax, not a JS template
      'FROM node:${NODE_VERSION}-bookworm-slim AS base',
      `FROM node:24-bookworm-slim@sha256:${'a'.repeat(64)} AS base`,
    );
    expect(lintDockerfile(text)).toEqual([]);
  });
});

describe('.dockerignore', () => {
  const patterns = readDockerignore(repoRoot);
  it.each([
    ['node_modules/x/index.js', true],
    ['packages/server/node_modules/hono/package.json', true],
    ['apps/where2eat/dist/main.js', true],
    ['.git/HEAD', true],
    ['apps/where2eat/.env', true],
    ['apps/where2eat/.env.local', true],
    ['apps/where2eat/.data/pg/PG_VERSION', true],
    ['apps/where2eat/.env.example', false],
    ['apps/where2eat/src/main.ts', false],
    ['packages/server/package.json', false],
    ['package-lock.json', false],
    ['tsconfig.base.json', false],
    ['infra/package.json', false],
    ['infra/helm/micro-app/Chart.yaml', true],
  ])('%s ignored: %s', (path, expected) => {
    expect(isIgnored(path, patterns)).toBe(expected);
  });
});

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function tsFilesOutsideNodeModules(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...tsFilesOutsideNodeModules(path));
    else if (entry.name.endsWith('.ts')) found.push(path);
  }
  return found;
}

function sizeMb(dir: string): number {
  const du = spawnSync('du', ['-sm', dir], { encoding: 'utf8' });
  return Number.parseInt(du.stdout, 10);
}

async function waitFor(url: string, deadline: number): Promise<Response> {
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return res;
      last = `status ${res.status}`;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 in time: ${String(last)}`);
}

// Replays prune → npm ci → build → npm prune on the host and starts the result. It needs the
// npm registry and a few minutes, so CI turns it on with DOCKER_STEPS_TEST=1.
describe.skipIf(process.env.DOCKER_STEPS_TEST !== '1')(
  'Dockerfile steps outside a container',
  () => {
    it('builds a production tree without dev dependencies that starts and answers its probes', async () => {
      const work = mkdtempSync(join(tmpdir(), 'where2eat-image-'));
      const hostEnv = Object.fromEntries(
        Object.entries(process.env).filter(
          ([k]) => !/^npm_|^INIT_CWD$|^NODE_OPTIONS$|^VITEST/.test(k),
        ),
      );
      let child: ReturnType<typeof spawn> | undefined;
      try {
        const result = replayDockerfile({
          dockerfile: dockerfilePath,
          context: repoRoot,
          workDir: work,
          buildArgs: { GIT_SHA: 'replay' },
          hostEnv,
          stepTimeoutMs: 400_000,
          log: (line) => console.log(`[replay] ${line}`),
        });

        // Steps of the runtime stage only strip the base image; the app tree comes from COPY.
        expect(result.skippedRuns.join('\n')).not.toMatch(/\/app\b/);
        const app = join(result.root, 'app');
        expect(existsSync(join(result.cwd, 'dist/main.js'))).toBe(true);
        expect(existsSync(join(result.cwd, 'dist/instrumentation.js'))).toBe(true);
        for (const devOnly of ['typescript', 'vitest', 'turbo', '@biomejs/biome']) {
          expect(existsSync(join(app, 'node_modules', devOnly)), devOnly).toBe(false);
        }
        expect(tsFilesOutsideNodeModules(app)).toEqual([]);
        console.log(
          `[replay] application tree: ${sizeMb(app)} MB (node_modules ${sizeMb(join(app, 'node_modules'))} MB)`,
        );

        const [port, metricsPort] = [await freePort(), await freePort()];
        const dataDir = join(work, 'data');
        mkdirSync(dataDir);
        // The image runs with NODE_ENV=production, which requires a real PostgreSQL server and
        // migrations run as a release step (the chart's hook Job runs the same command).
        const env = {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ...result.env,
          DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
          // Required in production; keys are fetched on the first authenticated request only.
          AUTH_ISSUER: 'https://id.example.com',
          AUTH_AUDIENCE: 'where2eat',
          PORT: String(port),
          METRICS_PORT: String(metricsPort),
          DATA_DIR: dataDir,
          SHUTDOWN_DRAIN_MS: '200',
          LOG_LEVEL: 'warn',
        };
        const migrate = spawnSync(process.execPath, ['dist/migrate.js'], {
          cwd: result.cwd,
          env,
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(migrate.status, `${migrate.stdout}\n${migrate.stderr}`).toBe(0);
        expect(result.command[0]).toBe('node');
        let output = '';
        child = spawn(process.execPath, result.command.slice(1), { cwd: result.cwd, env });
        child.stdout?.on('data', (d: Buffer) => {
          output += d.toString();
        });
        child.stderr?.on('data', (d: Buffer) => {
          output += d.toString();
        });
        const deadline = Date.now() + 45_000;
        const live = await waitFor(`http://127.0.0.1:${port}/health/live`, deadline).catch(
          (err: Error) => {
            throw new Error(`${err.message}\n${output}`);
          },
        );
        expect(live.status).toBe(200);
        const ready = await waitFor(`http://127.0.0.1:${port}/health/ready`, deadline);
        expect(ready.status).toBe(200);
        const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        expect(metrics.status).toBe(200);

        // The image's HEALTHCHECK command, run as Docker would run it.
        const hc = result.healthcheck;
        expect(hc?.[0]).toBe('node');
        const probe = spawnSync(process.execPath, hc?.slice(1) ?? [], { env, timeout: 5000 });
        expect(probe.status).toBe(0);

        // SIGTERM drains and exits cleanly (node is PID 1 in the container).
        const exited = new Promise<number | null>((done) =>
          child?.once('exit', (code) => done(code)),
        );
        child.kill('SIGTERM');
        const code = await Promise.race([
          exited,
          new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000)),
        ]);
        expect(code, output).toBe(0);
        const downProbe = spawnSync(process.execPath, hc?.slice(1) ?? [], { env, timeout: 5000 });
        expect(downProbe.status).toBe(1);
      } finally {
        if (child && child.exitCode === null) child.kill('SIGKILL');
        if (statSync(work, { throwIfNoEntry: false }))
          rmSync(work, { recursive: true, force: true });
      }
    }, 900_000);
  },
);
