import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Each tool is its own workspace so that a change to one tool reruns only that tool's tests.
// What turbo hashes for a task is what decides that, so this asks turbo itself (a dry run lists
// every input file of every task) instead of reading the turbo.json files.

const root = resolve(import.meta.dirname, '../../..');

interface DryTask {
  taskId: string;
  task: string;
  package: string;
  directory: string;
  inputs: Record<string, string>;
}

function dryRun(): DryTask[] {
  const run = spawnSync('npx', ['turbo', 'run', 'test', '--dry=json', '--filter=./tooling/*'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`turbo --dry=json exited ${run.status}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { tasks: DryTask[] }).tasks;
}

const allToolDirs = [
  ...readdirSync(join(root, 'tooling'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `tooling/${e.name}`),
  'turbo/generators',
];

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    name: string;
    scripts?: Record<string, string>;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
const dirOf = new Map(allToolDirs.map((d) => [manifest(d).name, d]));
/** The tools with a cached `test` task (the image build's task is never cached). */
const toolDirs = allToolDirs.filter((d) => manifest(d).scripts?.test);

/** The tool workspaces `dir` imports, directly or through another tool. */
function toolDeps(dir: string, seen = new Set<string>()): Set<string> {
  const { dependencies = {}, devDependencies = {} } = manifest(dir);
  for (const name of Object.keys({ ...dependencies, ...devDependencies })) {
    const dep = dirOf.get(name);
    if (dep && !seen.has(dep)) {
      seen.add(dep);
      toolDeps(dep, seen);
    }
  }
  return seen;
}

describe('turbo inputs of the tools', () => {
  const tasks = dryRun().filter((t) => t.task === 'test');
  // The generators live outside tooling/; turbo's filter takes one glob, so ask for them apart.
  const generatorRun = spawnSync(
    'npx',
    ['turbo', 'run', 'test', '--dry=json', '--filter=./turbo/generators'],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
  );
  tasks.push(
    ...(JSON.parse(generatorRun.stdout) as { tasks: DryTask[] }).tasks.filter(
      (t) => t.task === 'test',
    ),
  );
  const byDir = new Map(tasks.map((t) => [t.directory, t]));

  it('has a test task for every tool workspace', () => {
    expect([...byDir.keys()].sort()).toEqual(expect.arrayContaining(toolDirs.sort()));
  });

  it.each(toolDirs)("%s: only its own and its tool dependencies' code, no build output", (dir) => {
    const task = byDir.get(dir);
    expect(task, `${dir} has no test task`).toBeDefined();
    const files = Object.keys(task?.inputs ?? {}).map((f) => posix.normalize(posix.join(dir, f)));
    const deps = toolDeps(dir);
    const others = allToolDirs.filter((d) => d !== dir && !deps.has(d));
    // Manifests are fair game (CI's own tests read every workspace's package.json), and so is
    // Markdown for the links check; another tool's code is not.
    const foreign = files.filter(
      (f) =>
        others.some((d) => f.startsWith(`${d}/`)) &&
        !f.endsWith('/package.json') &&
        !(dir === 'tooling/docs' && f.endsWith('.md')),
    );
    expect(foreign).toEqual([]);
    // Tools ship TypeScript without a build step, so turbo sees an imported tool's change only
    // when its sources are inputs here.
    for (const dep of deps) {
      expect(
        files.some((f) => f.startsWith(`${dep}/src/`)),
        `${dir} imports ${dep}: add "$TURBO_ROOT$/${dep}/src/**" to its test inputs`,
      ).toBe(true);
    }
    expect(files.filter((f) => /(^|\/)(node_modules|dist|\.turbo|\.data)\//.test(f))).toEqual([]);
  });
});
