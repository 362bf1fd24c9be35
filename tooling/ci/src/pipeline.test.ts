import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { helmBinary } from '@micro-app/helm-tool';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listSystemBinaries, systemBinary } from './system-binaries.ts';

// One CI: GitHub's jobs and .ci/run call the same step scripts, every file and npm script they
// name exists, CD deploys only what CI passed, and the rollback script is accepted by real helm.

const repoRoot = resolve(import.meta.dirname, '../../..');
const stepsDir = join(repoRoot, 'tooling/ci/steps');
const workflowDir = join(repoRoot, '.github/workflows');
const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');

interface Step {
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  env?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflowFiles = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f));
const workflows = Object.fromEntries(
  workflowFiles.map((f) => [f, parse(read(`.github/workflows/${f}`)) as Workflow]),
);
const runsOf = (wf: Workflow): string[] =>
  Object.values(wf.jobs).flatMap((job) => job.steps.flatMap((step) => step.run ?? []));
const stepScripts = readdirSync(stepsDir).filter((f) => f.endsWith('.sh') && f !== 'lib.sh');

/** Every shell text CI runs: workflow `run:` blocks, .ci/run, the step scripts. */
const shellSources: Array<[string, string]> = [
  ...workflowFiles.flatMap((f) =>
    runsOf(workflows[f] as Workflow).map((run, i): [string, string] => [`${f} run #${i}`, run]),
  ),
  ['.ci/run', read('.ci/run')],
  ...stepScripts.map((f): [string, string] => [`steps/${f}`, read(`tooling/ci/steps/${f}`)]),
];

/** Repository paths a command names (ignores paths inside containers such as /load/smoke.ts). */
function repoPaths(text: string): string[] {
  const found = text
    .replaceAll('$PWD/', ' ')
    .matchAll(
      /(?<![\w/$.-])((?:\.ci|tooling|apps|infra|packages|docs)\/[\w.*/-]*[\w*])(?![\w/-])/g,
    );
  return [...new Set([...found].map((m) => m[1] as string))].filter((p) => !p.includes('*'));
}

/** Build and test outputs (dist/, pacts/) are named by CI but never committed. */
function isIgnoredOutput(path: string): boolean {
  const ignored = (p: string) =>
    spawnSync('git', ['check-ignore', '-q', '--no-index', p], { cwd: repoRoot }).status === 0;
  return ignored(path) || ignored(`${path}/`);
}

function workspaceScripts(): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  const root = JSON.parse(read('package.json')) as { workspaces: string[] };
  map.set('', new Set(Object.keys(JSON.parse(read('package.json')).scripts ?? {})));
  for (const pattern of root.workspaces) {
    const base = pattern.replace(/\/\*$/, '');
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(repoRoot, base)).map((d) => `${base}/${d}`)
      : [base];
    for (const dir of dirs) {
      if (!existsSync(join(repoRoot, dir, 'package.json'))) continue;
      const pkg = JSON.parse(read(`${dir}/package.json`)) as {
        name: string;
        scripts?: Record<string, string>;
      };
      map.set(pkg.name, new Set(Object.keys(pkg.scripts ?? {})));
    }
  }
  return map;
}

describe('every file and npm script CI names exists', () => {
  const scripts = workspaceScripts();

  it.each(shellSources)('%s', (_where, text) => {
    for (const path of repoPaths(text).filter((p) => !isIgnoredOutput(p))) {
      expect(existsSync(join(repoRoot, path)), `${path} does not exist`).toBe(true);
      if (path.endsWith('.sh') || path === '.ci/run') {
        expect(() => accessSync(join(repoRoot, path), constants.X_OK), `${path} +x`).not.toThrow();
      }
    }
    for (const m of text.matchAll(/npm run (?:--silent )?([\w:.-]+)(?: -w ([@\w/.-]+))?/g)) {
      const [, script = '', workspace = ''] = m;
      expect(scripts.get(workspace)?.has(script), `npm run ${script} in "${workspace}"`).toBe(true);
    }
    for (const m of text.matchAll(/install-system-tools\.sh((?: [a-z]+)+)/g)) {
      const groups = new Set(listSystemBinaries().map((b) => b.group));
      for (const group of (m[1] ?? '').trim().split(' ')) expect(groups).toContain(group);
    }
  });

  it('catches a missing script (the check is not a no-op)', () => {
    expect(repoPaths('run: tooling/ci/steps/nope.sh && infra/helm/ci/kind-values.yaml')).toEqual([
      'tooling/ci/steps/nope.sh',
      'infra/helm/ci/kind-values.yaml',
    ]);
    expect(existsSync(join(repoRoot, 'tooling/ci/steps/nope.sh'))).toBe(false);
    expect(repoPaths('-v "$PWD/apps/where2eat/load:/load:ro" /load/smoke.ts')).toEqual([
      'apps/where2eat/load',
    ]);
  });

  it('every step script passes bash -n', () => {
    for (const file of [...stepScripts, 'lib.sh', '../install-system-tools.sh']) {
      const result = spawnSync('bash', ['-n', join(stepsDir, file)], { encoding: 'utf8' });
      expect(result.stderr, file).toBe('');
      expect(result.status, file).toBe(0);
    }
  });
});

describe('one CI: GitHub and .ci/run call the same steps', () => {
  const ciRun = read('.ci/run');
  const ci = workflows['ci.yml'] as Workflow;
  const ghRuns = runsOf(ci).join('\n');
  // Steps only a GitHub runner can take: Trivy, the CI-status API, a cluster to roll back.
  const githubOnly = new Set(['scan-image.sh', 'require-ci-success.sh', 'rollback.sh']);

  it.each(stepScripts.filter((s) => !githubOnly.has(s)))('%s runs in both', (script) => {
    expect(ciRun).toContain(`tooling/ci/steps/${script}`);
    expect(ghRuns).toContain(`tooling/ci/steps/${script}`);
  });

  it('the GitHub-only steps run in a workflow', () => {
    const all = workflowFiles.flatMap((f) => runsOf(workflows[f] as Workflow)).join('\n');
    for (const script of githubOnly) expect(all).toContain(`tooling/ci/steps/${script}`);
  });

  it('runs npm test both on embedded defaults and on the real servers', () => {
    expect(ghRuns).toContain('env -u DATABASE_URL -u REDIS_URL tooling/ci/steps/test.sh');
    expect(ciRun).toMatch(/DATABASE_URL=\S+ REDIS_URL=\S+ \\\n\s+tooling\/ci\/steps\/test\.sh/);
  });

  it('installs every system binary group a step needs, in both', () => {
    const groups = [...new Set(listSystemBinaries().map((b) => b.group))];
    const installed = (text: string): string[] =>
      [...text.matchAll(/install-system-tools\.sh((?: [a-z]+)+)/g)].flatMap((m) =>
        (m[1] ?? '').trim().split(' '),
      );
    expect(new Set(installed(ciRun))).toEqual(new Set(groups));
    // GitHub's browser job takes Playwright's own Chromium build instead of the system one.
    expect(new Set(installed(ghRuns))).toEqual(new Set(groups.filter((g) => g !== 'browser')));
    expect(ghRuns).toContain('npx playwright install --with-deps chromium');
  });

  it('has one vulnerability threshold, read by the one scan script CI and CD call', () => {
    const threshold = read('tooling/ci/vulnerability-threshold').trim();
    expect(threshold).toMatch(/^(LOW|MEDIUM|HIGH|CRITICAL)(,(LOW|MEDIUM|HIGH|CRITICAL))*$/);
    for (const file of ['ci.yml', 'cd.yml']) {
      const runs = runsOf(workflows[file] as Workflow).join('\n');
      expect(runs, file).toContain('tooling/ci/steps/scan-image.sh');
      expect(runs, `${file} sets no severity of its own`).not.toMatch(/--severity/);
    }
  });
});

describe('cd.yml deploys only what CI passed, signed on main', () => {
  const cd = workflows['cd.yml'] as Workflow;

  it('starts when CI completes on main, and builds only when it succeeded', () => {
    expect(cd.on.workflow_run).toEqual({
      workflows: ['ci'],
      types: ['completed'],
      branches: ['main'],
    });
    expect(cd.on).not.toHaveProperty('push');
    expect(cd.jobs.build?.if).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(cd.env?.SHA).toContain('github.event.workflow_run.head_sha');
  });

  it('checks out the commit CI tested and asks the API that CI passed for it', () => {
    for (const [name, job] of Object.entries(cd.jobs)) {
      const checkout = job.steps.find((s) => (s as { uses?: string }).uses?.includes('checkout'));
      // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub syntax, not a JS template
      if (checkout) expect(checkout.with?.ref, name).toBe('${{ env.SHA }}');
    }
    expect(runsOf(cd).join('\n')).toContain('tooling/ci/steps/require-ci-success.sh "$SHA"');
    expect(JSON.stringify(cd)).not.toMatch(/GITHUB_SHA|github\.sha }}(?!")/);
  });

  it('pins the signing identity to cd.yml on main (no regexp)', () => {
    expect(cd.env?.SIGNER).toMatch(/\/\.github\/workflows\/cd\.yml@refs\/heads\/main$/);
    const verifies = runsOf(cd).filter((r) => r.includes('cosign verify'));
    expect(verifies.length).toBe(2);
    for (const run of verifies) {
      expect(run).toContain('--certificate-identity "$SIGNER"');
      expect(run).not.toContain('identity-regexp');
    }
  });
});

describe('every app gets the whole pipeline', () => {
  const appsScript = join(stepsDir, 'apps.sh');
  const appsOf = (root: string): string[] => {
    const result = spawnSync('bash', [join(root, 'tooling/ci/steps/apps.sh')], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    return JSON.parse(result.stdout) as string[];
  };
  /** What the pipeline should cover: every app with a Dockerfile and a chart values file. */
  const deployable = (root: string): string[] =>
    readdirSync(join(root, 'apps'))
      .filter(
        (name) =>
          existsSync(join(root, 'apps', name, 'Dockerfile')) &&
          existsSync(join(root, 'infra/helm/values', `${name}.yaml`)),
      )
      .sort();
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub syntax, not a JS template
  const MATRIX = '${{ fromJSON(needs.apps.outputs.apps) }}';
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub syntax, not a JS template
  const MATRIX_APP = '${{ matrix.app }}';
  const perApp: Array<[string, string[]]> = [
    ['ci.yml', ['image', 'chart']],
    ['cd.yml', ['build', 'staging', 'production']],
  ];

  it('apps.sh lists every app with a Dockerfile and a values file, and only those', () => {
    expect(appsOf(repoRoot)).toEqual(deployable(repoRoot));
    expect(appsOf(repoRoot)).toContain('where2eat');

    const root = mkdtempSync(join(tmpdir(), 'apps-matrix-'));
    try {
      mkdirSync(join(root, 'tooling/ci'), { recursive: true });
      cpSync(stepsDir, join(root, 'tooling/ci/steps'), { recursive: true });
      mkdirSync(join(root, 'infra/helm/values'), { recursive: true });
      for (const [name, dockerfile, values] of [
        ['lunch-poll', true, true],
        ['only-image', true, false],
        ['only-values', false, true],
      ] as const) {
        mkdirSync(join(root, 'apps', name), { recursive: true });
        if (dockerfile) writeFileSync(join(root, 'apps', name, 'Dockerfile'), 'FROM scratch\n');
        if (values) writeFileSync(join(root, 'infra/helm/values', `${name}.yaml`), '{}\n');
      }
      expect(appsOf(root)).toEqual(['lunch-poll']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it.each(perApp)('%s runs its per-app jobs over the apps.sh matrix', (file, jobs) => {
    const wf = workflows[file] as Workflow;
    const lister = wf.jobs.apps;
    expect(lister?.steps.some((s) => s.run?.includes('tooling/ci/steps/apps.sh'))).toBe(true);
    for (const name of jobs) {
      const job = wf.jobs[name];
      expect(job?.strategy?.matrix?.app, `${file} jobs.${name}`).toBe(MATRIX);
      expect([job?.needs].flat(), `${file} jobs.${name} needs apps`).toContain('apps');
      expect(job?.env?.APP, `${file} jobs.${name}`).toBe(MATRIX_APP);
    }
  });

  it('no workflow names an app: a generated app needs no workflow edit', () => {
    expect(existsSync(appsScript)).toBe(true);
    for (const file of ['ci.yml', 'cd.yml', 'rollback.yml']) {
      // The Pact steps name the consumer package, which is where2eat's client.
      const text = JSON.stringify(workflows[file]).replaceAll('where2eat-client', 'CLIENT');
      for (const app of appsOf(repoRoot)) {
        expect(text.includes(app), `${file} names ${app}`).toBe(false);
      }
    }
  });
});

describe('rollback.sh', () => {
  const script = join(stepsDir, 'rollback.sh');
  const run = (env: Record<string, string>) =>
    spawnSync('bash', [script], {
      encoding: 'utf8',
      // No cluster here: helm parses the command line, then fails to reach the API server.
      env: { PATH: process.env.PATH ?? '', KUBECONFIG: '/nonexistent', ...env },
    });
  const base = { RELEASE: 'where2eat', NAMESPACE: 'where2eat' };

  it.each([
    ['a revision that is not a number', { TARGET: 'staging', REVISION: '2; rm -rf /' }],
    ['revision 0', { TARGET: 'staging', REVISION: '0' }],
    ['an unknown environment', { TARGET: 'prod' }],
  ])('refuses %s before calling helm', (_name, env) => {
    const result = run({ ...base, ...env, HELM: '/bin/false-never-called' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/rollback: (REVISION|TARGET) must/);
  });

  it.each([3, 4] as const)('builds a command line helm %i accepts', (major) => {
    const helm = helmBinary(major);
    const cases: Array<Record<string, string>> = [
      { TARGET: 'staging', REVISION: '7' },
      { TARGET: 'ci' },
    ];
    for (const env of cases) {
      const result = run({ ...base, ...env, HELM: helm });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(`rollback: ${helm} rollback where2eat`);
      // Past flag parsing: the only complaint is the missing cluster.
      expect(result.stderr).toMatch(/kubernetes cluster unreachable/i);
      expect(result.stderr).not.toMatch(/unknown flag|accepts|usage/i);
    }
  });
});

describe('systemBinary', () => {
  it('finds an installed binary', () => {
    const sh = systemBinary('promtool', { PATH: process.env.PATH });
    if (sh.path) expect(sh.skipReason).toBeUndefined();
    else expect(sh.skipReason).toMatch(/SKIPPED: promtool is not installed/);
  });

  it('fails under CI=true when a listed binary is missing', () => {
    const env = { PATH: '/nonexistent' };
    expect(() => systemBinary('promtool', { ...env, CI: 'true' })).toThrow(
      /required under CI=true/,
    );
    expect(systemBinary('promtool', env).skipReason).toMatch(/apt-get install prometheus/);
  });

  it('refuses a binary that is not in the list', () => {
    expect(() => systemBinary('kubectl-nope')).toThrow(/not listed/);
  });
});
