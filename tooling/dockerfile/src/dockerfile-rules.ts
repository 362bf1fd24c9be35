import {
  argDeclaration,
  type Dockerfile,
  execForm,
  flagValue,
  type Instruction,
  labelMap,
  parseDockerfile,
  type Stage,
  substitute,
} from './dockerfile.js';

/** Stable ids of the rules {@link lintDockerfile} checks (hadolint numbers in brackets). */
export type DockerfileRule =
  | 'pinned-base-image' // [DL3006, DL3007] version tag or digest on every external FROM
  | 'no-latest' // [DL3007] no `latest` anywhere
  | 'non-root-user' // [DL3002] the final stage runs as a non-root USER
  | 'healthcheck' // a HEALTHCHECK in exec form that probes /health/live
  | 'npm-ci' // [DL3016-ish] installs with `npm ci` from the lockfile, never `npm install`
  | 'npm-cache-mount' // every npm install step mounts a BuildKit cache on ~/.npm
  | 'oci-labels' // org.opencontainers.image.* labels, revision from ARG GIT_SHA
  | 'no-add' // [DL3020] COPY, not ADD (no remote URLs, no implicit unpacking)
  | 'exec-form' // [DL3025] CMD/ENTRYPOINT in JSON exec form
  | 'instrumentation-import' // the start command loads telemetry through `--import`
  | 'turbo-prune' // the context is pruned with `turbo prune … --docker`
  | 'prod-dependencies' // dev dependencies are removed before the runtime copy
  | 'no-secrets' // no ARG/ENV whose name says it holds a secret
  | 'absolute-workdir' // [DL3000]
  | 'syntax-directive' // `# syntax=docker/dockerfile:1.x` for --mount support
  | 'runtime-copies-from-stages' // the final stage copies only from build stages, not the context
  | 'pipefail' // [DL4006] a piped RUN needs SHELL with -o pipefail
  | 'no-cd' // [DL3003] use WORKDIR instead of cd
  | 'multi-stage'; // at least a build and a runtime stage

/** One broken rule. */
export interface DockerfileFinding {
  readonly rule: DockerfileRule;
  readonly line: number;
  readonly message: string;
}

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

/**
 * Checks a Dockerfile against the project's image rules, a hadolint-style subset plus the
 * monorepo conventions (turbo prune, npm ci with cache mounts, instrumentation import).
 * @param text the Dockerfile's content
 * @returns every finding; an empty array means the file passes
 */
export function lintDockerfile(text: string): DockerfileFinding[] {
  const df = parseDockerfile(text);
  const findings: DockerfileFinding[] = [];
  const add = (rule: DockerfileRule, line: number, message: string): void => {
    findings.push({ rule, line, message });
  };
  const globals = globalArgValues(df);
  const stageNames = new Set<string>();
  const all = df.stages.flatMap((s) => s.instructions);
  const last = df.stages.at(-1);

  if (df.stages.length < 2 || !last) {
    add('multi-stage', 1, 'use a multi-stage build: build stages and a slim runtime stage');
  }

  for (const stage of df.stages) {
    const image = substitute(stage.from, globals);
    if (!stageNames.has(stage.from.toLowerCase())) {
      checkPinned(image, stage.fromLine, add);
    }
    if (stage.name) stageNames.add(stage.name);
  }

  // SHELL is inherited by later stages built FROM this one; this file's stages build in order.
  let pipefail = false;
  for (const ins of all) {
    if (ins.keyword === 'SHELL') pipefail = /pipefail/.test(ins.args);
    if (/[:@]latest\b/i.test(ins.args)) {
      add('no-latest', ins.line, `"${ins.keyword}" refers to a latest tag`);
    }
    if (ins.keyword === 'ADD') add('no-add', ins.line, 'use COPY; ADD fetches URLs and unpacks');
    if (ins.keyword === 'WORKDIR' && !ins.args.startsWith('/') && !ins.args.startsWith('$')) {
      add('absolute-workdir', ins.line, `WORKDIR ${ins.args} is relative`);
    }
    if (ins.keyword === 'ARG' || ins.keyword === 'ENV') {
      const names =
        ins.keyword === 'ARG'
          ? [argDeclaration(ins).name]
          : [...ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1] ?? '');
      for (const name of names) {
        if (SECRET_NAME.test(name)) {
          add('no-secrets', ins.line, `${ins.keyword} ${name} would be stored in the image`);
        }
      }
    }
    if (ins.keyword === 'RUN') checkRun(ins, add, pipefail);
    if (ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT') {
      if (!execForm(ins.args)) add('exec-form', ins.line, `${ins.keyword} must use exec form`);
    }
  }
  for (const ins of df.globalArgs) {
    if (SECRET_NAME.test(argDeclaration(ins).name)) {
      add('no-secrets', ins.line, `ARG ${argDeclaration(ins).name} would be stored in the image`);
    }
  }

  const runs = all.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm ci\b/.test(r))) {
    add('npm-ci', 1, 'install dependencies with `npm ci` from the lockfile');
  }
  if (!runs.some((r) => /\bturbo\S*\s+prune\b[^\n]*--docker/.test(r.replace(/\n/g, ' ')))) {
    add('turbo-prune', 1, 'prune the monorepo with `turbo prune <app> --docker`');
  }
  if (!runs.some((r) => /npm (prune|ci)\b[^\n]*--omit=dev/.test(r))) {
    add('prod-dependencies', 1, 'drop dev dependencies (`npm prune --omit=dev`)');
  }
  if (all.some((i) => i.flags.some((f) => f.name === 'mount')) && !df.directives.syntax) {
    add('syntax-directive', 1, 'RUN --mount needs `# syntax=docker/dockerfile:1.x`');
  }

  if (last) checkRuntime(last, add);
  return findings;
}

function globalArgValues(df: Dockerfile): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const ins of df.globalArgs) {
    const { name, value } = argDeclaration(ins);
    out[name] = value;
  }
  return out;
}

type Add = (rule: DockerfileRule, line: number, message: string) => void;

function checkPinned(image: string, line: number, add: Add): void {
  if (image === 'scratch') return;
  const [name = '', digest] = image.split('@');
  const slash = name.lastIndexOf('/');
  const colon = name.indexOf(':', slash + 1);
  const tag = colon >= 0 ? name.slice(colon + 1) : '';
  if (digest?.startsWith('sha256:') && digest.length === 71) return;
  if (!tag) add('pinned-base-image', line, `FROM ${image} has no tag or digest`);
  else if (tag === 'latest') add('no-latest', line, `FROM ${image} uses latest`);
  else if (!/\d/.test(tag)) add('pinned-base-image', line, `FROM ${image}: tag has no version`);
}

function checkRun(ins: Instruction, add: Add, pipefail: boolean): void {
  const cmd = ins.args;
  if (/\bnpm (install|i|add)\b/.test(cmd)) {
    add('npm-ci', ins.line, '`npm install` may change the lockfile; use `npm ci`');
  }
  const installs = /\bnpm ci\b|\bnpx --yes\b/.test(cmd);
  const cached = ins.flags.some(
    (f) => f.name === 'mount' && /type=cache/.test(f.value) && /target=[^,]*\.npm/.test(f.value),
  );
  if (installs && !cached) {
    add(
      'npm-cache-mount',
      ins.line,
      'mount a cache on ~/.npm: --mount=type=cache,target=/root/.npm',
    );
  }
  if (!pipefail && /(^|[^|])\|([^|]|$)/.test(cmd.replace(/'[^']*'|"[^"]*"/g, ''))) {
    add('pipefail', ins.line, 'a pipe hides failures unless SHELL sets -o pipefail');
  }
  if (/(^|&&|;|\n)\s*cd\s/.test(cmd)) add('no-cd', ins.line, 'use WORKDIR instead of cd');
}

function checkRuntime(stage: Stage, add: Add): void {
  const users = stage.instructions.filter((i) => i.keyword === 'USER');
  const user = users.at(-1)?.args.trim();
  if (!user) add('non-root-user', stage.fromLine, 'the runtime stage sets no USER');
  else if (/^(root|0)(:.*)?$/.test(user)) {
    add('non-root-user', users.at(-1)?.line ?? 0, `USER ${user} is root`);
  }

  const health = stage.instructions.filter((i) => i.keyword === 'HEALTHCHECK').at(-1);
  if (!health || /^NONE\b/i.test(health.args)) {
    add('healthcheck', stage.fromLine, 'the runtime stage has no HEALTHCHECK');
  } else {
    const cmd = execForm(health.args.replace(/^CMD\s+/i, ''));
    if (!cmd) add('healthcheck', health.line, 'HEALTHCHECK CMD must use exec form');
    else if (!cmd.join(' ').includes('/health/live')) {
      add('healthcheck', health.line, 'HEALTHCHECK must probe /health/live');
    }
  }

  const start =
    stage.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1) ??
    stage.instructions.filter((i) => i.keyword === 'CMD').at(-1);
  const argv = start ? execForm(start.args) : undefined;
  if (!start) add('exec-form', stage.fromLine, 'the runtime stage has no CMD');
  else if (
    argv &&
    !argv.some((a, n) => a === '--import' && /instrumentation/.test(argv[n + 1] ?? ''))
  ) {
    add('instrumentation-import', start.line, 'start node with --import ./dist/instrumentation.js');
  }

  const labels = Object.assign(
    {},
    ...stage.instructions.filter((i) => i.keyword === 'LABEL').map(labelMap),
  ) as Record<string, string>;
  const declared = stage.instructions
    .filter((i) => i.keyword === 'ARG')
    .map((i) => argDeclaration(i).name);
  const revision = labels['org.opencontainers.image.revision'] ?? '';
  if (!declared.includes('GIT_SHA') || !/\$\{?GIT_SHA\}?/.test(revision)) {
    add('oci-labels', stage.fromLine, 'label org.opencontainers.image.revision from ARG GIT_SHA');
  }
  for (const key of ['title', 'source', 'version', 'licenses']) {
    if (!(`org.opencontainers.image.${key}` in labels)) {
      add('oci-labels', stage.fromLine, `missing label org.opencontainers.image.${key}`);
    }
  }

  for (const ins of stage.instructions) {
    if ((ins.keyword === 'COPY' || ins.keyword === 'ADD') && !flagValue(ins, 'from')) {
      add(
        'runtime-copies-from-stages',
        ins.line,
        'the runtime stage copies from the build context',
      );
    }
  }
}
