// Static rules a build cannot check (base image pinned, numeric USER, HEALTHCHECK, the
// instrumentation import). Building and running the image is tooling/image's job.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './dockerfile.js';
import { type DockerfileRule, lintDockerfile } from './dockerfile-rules.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
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
    ['prod-dependencies', mutate(' && npm prune --omit=dev \\', ' && true \\')],
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
