import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  countScope,
  detectScope,
  projectFiles,
  RenameError,
  readText,
  renameScope,
  replaceScope,
  validateScope,
} from './rename-scope.js';
import { childEnv, copyProject, mustRun } from './tree.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const cli = join(import.meta.dirname, 'rename.ts');

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');
const binary = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]), Buffer.from('@starter/a')]);

/** A small monorepo under the scope @starter, with the kinds of files the real one has. */
function fixture(): string {
  const root = tempDir('rename-fixture-');
  writeTree(root, {
    'package.json': JSON.stringify({
      name: 'starter',
      private: true,
      workspaces: ['packages/*', 'tools'],
      scripts: { dev: 'turbo run dev --filter=@starter/app' },
    }),
    'package-lock.json': JSON.stringify({
      packages: {
        'node_modules/@starter/a': { resolved: 'packages/a', link: true },
        'packages/a': { name: '@starter/a', dependencies: { '@starter/b': '^0.1.0' } },
      },
    }),
    'packages/a/package.json': JSON.stringify({
      name: '@starter/a',
      dependencies: { '@starter/b': '^0.1.0', '@starterkit/other': '^1.0.0' },
    }),
    'packages/a/src/index.ts': "import { b } from '@starter/b';\nexport const a = b;\n",
    'packages/b/package.json': JSON.stringify({ name: '@starter/b' }),
    'packages/b/README.md':
      '# @starter/b\n\n```sh\nnpm install @starter/b\n```\nMail git@starter/x.\n',
    'tools/package.json': JSON.stringify({ name: '@starter/tools', private: true }),
    Dockerfile: 'RUN npm run build -w @starter/a\n',
    '.github/workflows/ci.yml': 'run: npx turbo run test --filter=@starter/a\n',
    'chart/values.yaml': 'workspace: "@starter/a"\n',
    'assets/logo.png': binary,
    'node_modules/@starter/a/package.json': '{"name":"@starter/a"}',
    'packages/a/dist/index.js': "import '@starter/b';\n",
  });
  return root;
}

describe('validateScope', () => {
  it.each(['@myorg', '@my-org', '@acme.io', '@a~b', '@0x'])('accepts %s', (scope) => {
    expect(validateScope(scope)).toBe(scope);
  });

  it.each([
    ['myorg', 'starts with "@", e.g. @myorg'],
    ['', 'starts with "@"'],
    ['@', /npm package name rules/],
    ['@MyOrg', /lowercase/],
    ['@_private', /not starting with "." or "_"/],
    ['@.dot', /not starting with "." or "_"/],
    ['@my org', /lowercase letters/],
    ['@my/org', /lowercase letters/],
    [`@${'a'.repeat(120)}`, /longer than 100/],
  ])('rejects %j', (scope, message) => {
    expect(() => validateScope(scope)).toThrow(message);
    expect(() => validateScope(scope)).toThrow(RenameError);
  });
});

describe('replaceScope', () => {
  it('replaces the scope as a whole and nothing that merely contains it', () => {
    const text =
      'import \'@starter/a\'; "node_modules/@starter/b" @starterkit/x git@starter/y x-@starter/z npm:@starter/c';
    expect(countScope(text, '@starter')).toBe(3);
    expect(replaceScope(text, '@starter', '@acme')).toBe(
      'import \'@acme/a\'; "node_modules/@acme/b" @starterkit/x git@starter/y x-@starter/z npm:@acme/c',
    );
  });

  it('escapes a scope with regular-expression characters', () => {
    expect(replaceScope('@a.b/x @axb/y', '@a.b', '@c')).toBe('@c/x @axb/y');
  });
});

describe('readText', () => {
  it('returns undefined for a file with a NUL byte or that is not UTF-8', () => {
    const root = tempDir('rename-text-');
    writeTree(root, {
      'a.png': binary,
      'b.bin': Buffer.from([0xff, 0xfe, 0x41]),
      'c.txt': 'héllo',
    });
    expect(readText(join(root, 'a.png'))).toBeUndefined();
    expect(readText(join(root, 'b.bin'))).toBeUndefined();
    expect(readText(join(root, 'c.txt'))).toBe('héllo');
  });
});

describe('renameScope on a fixture tree', () => {
  it('detects the current scope from the workspace package names', () => {
    expect(detectScope(fixture())).toBe('@starter');
  });

  it('rewrites every text file, skips binaries, node_modules and dist, and reports the counts', () => {
    const root = fixture();
    const result = renameScope({ root, to: '@acme' });

    expect(result).toMatchObject({ from: '@starter', to: '@acme', changed: true });
    expect(Object.fromEntries(result.files.map((f) => [f.path, f.occurrences]))).toEqual({
      '.github/workflows/ci.yml': 1,
      Dockerfile: 1,
      'chart/values.yaml': 1,
      'package-lock.json': 3,
      'package.json': 1,
      'packages/a/package.json': 2,
      'packages/a/src/index.ts': 1,
      'packages/b/README.md': 2,
      'packages/b/package.json': 1,
      'tools/package.json': 1,
    });
    expect(result.occurrences).toBe(14);

    expect(JSON.parse(read(root, 'packages/a/package.json'))).toEqual({
      name: '@acme/a',
      dependencies: { '@acme/b': '^0.1.0', '@starterkit/other': '^1.0.0' },
    });
    expect(read(root, 'packages/a/src/index.ts')).toBe(
      "import { b } from '@acme/b';\nexport const a = b;\n",
    );
    expect(Object.keys(JSON.parse(read(root, 'package-lock.json')).packages)).toContain(
      'node_modules/@acme/a',
    );
    expect(read(root, 'packages/b/README.md')).toContain('npm install @acme/b');
    expect(read(root, 'packages/b/README.md')).toContain('git@starter/x');
    expect(read(root, 'Dockerfile')).toBe('RUN npm run build -w @acme/a\n');
    expect(read(root, '.github/workflows/ci.yml')).toContain('--filter=@acme/a');
    expect(read(root, 'chart/values.yaml')).toBe('workspace: "@acme/a"\n');
    // untouched: binary content, installed and built files
    expect(readFileSync(join(root, 'assets/logo.png')).equals(binary)).toBe(true);
    expect(read(root, 'node_modules/@starter/a/package.json')).toBe('{"name":"@starter/a"}');
    expect(read(root, 'packages/a/dist/index.js')).toBe("import '@starter/b';\n");
    expect(detectScope(root)).toBe('@acme');
  });

  it('is idempotent: a second run with the same scope changes nothing', () => {
    const root = fixture();
    renameScope({ root, to: '@acme' });
    const before = projectFiles(root).map((f) => [f, readFileSync(join(root, f))]);
    const again = renameScope({ root, to: '@acme' });
    expect(again).toMatchObject({ changed: false, files: [], occurrences: 0 });
    expect(projectFiles(root).map((f) => [f, readFileSync(join(root, f))])).toEqual(before);
  });

  it('writes nothing in a dry run but lists what it would change', () => {
    const root = fixture();
    const result = renameScope({ root, to: '@acme', dryRun: true });
    expect(result.files).toHaveLength(10);
    expect(result.occurrences).toBe(14);
    expect(read(root, 'packages/a/src/index.ts')).toContain('@starter/b');
    expect(detectScope(root)).toBe('@starter');
  });

  it('refuses when a manifest already names a package of the new scope, unless forced', () => {
    const root = fixture();
    writeTree(root, {
      'tools/package.json': JSON.stringify({
        name: '@starter/tools',
        dependencies: { '@acme/logger': '^1.0.0' },
      }),
    });
    expect(() => renameScope({ root, to: '@acme' })).toThrow(
      expect.objectContaining({
        code: 'TARGET_SCOPE_IN_USE',
        message: expect.stringMatching(/names packages in tools\/package\.json;/),
      }),
    );
    expect(detectScope(root)).toBe('@starter');
    const forced = renameScope({ root, to: '@acme', force: true });
    expect(forced.occurrences).toBe(14);
    expect(JSON.parse(read(root, 'tools/package.json'))).toEqual({
      name: '@acme/tools',
      dependencies: { '@acme/logger': '^1.0.0' },
    });
  });

  it('renames when the new scope occurs only in docs or code', () => {
    const root = fixture();
    writeTree(root, { 'docs/other.md': 'Compare @acme/logger.\n' });
    expect(renameScope({ root, to: '@acme' }).occurrences).toBe(14);
    expect(read(root, 'docs/other.md')).toBe('Compare @acme/logger.\n');
  });

  it('refuses when the workspace packages use two scopes or none', () => {
    const mixed = fixture();
    writeTree(mixed, { 'tools/package.json': JSON.stringify({ name: '@other/tools' }) });
    expect(() => renameScope({ root: mixed, to: '@acme' })).toThrow(
      expect.objectContaining({
        code: 'MIXED_SCOPES',
        message: expect.stringMatching(/@starter.*@other \(@other\/tools\)/),
      }),
    );

    const unscoped = tempDir('rename-unscoped-');
    writeTree(unscoped, {
      'package.json': JSON.stringify({ workspaces: ['packages/*'] }),
      'packages/a/package.json': JSON.stringify({ name: 'a' }),
    });
    expect(() => renameScope({ root: unscoped, to: '@acme' })).toThrow(
      expect.objectContaining({ code: 'NO_SCOPE_FOUND' }),
    );
  });

  it('refuses an invalid scope before reading the tree', () => {
    expect(() => renameScope({ root: '/nonexistent', to: 'acme' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCOPE' }),
    );
  });
});

describe('renameScope in a git repository', () => {
  const git = (root: string, ...args: string[]) => {
    const run = spawnSync('git', args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
    if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
    return run.stdout;
  };

  function repo(): string {
    const root = fixture();
    writeTree(root, { '.gitignore': 'node_modules/\ndist/\nlocal/\n' });
    git(root, 'init', '-q');
    git(root, 'add', '.');
    git(root, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init');
    return root;
  }

  it('refuses while git shows uncommitted changes, unless forced', () => {
    const root = repo();
    writeTree(root, { 'packages/a/src/index.ts': "import '@starter/b';\n" });
    expect(() => renameScope({ root, to: '@acme' })).toThrow(
      expect.objectContaining({
        code: 'UNCOMMITTED_CHANGES',
        message: expect.stringMatching(/1 uncommitted change\(s\) \(packages\/a\/src\/index\.ts\)/),
      }),
    );
    expect(read(root, 'packages/a/src/index.ts')).toBe("import '@starter/b';\n");
    expect(renameScope({ root, to: '@acme', force: true }).changed).toBe(true);
    expect(read(root, 'packages/a/src/index.ts')).toBe("import '@acme/b';\n");
  });

  it('renames tracked and untracked files but not files git ignores', () => {
    const root = repo();
    writeTree(root, {
      'local/notes.md': '@starter/a\n',
      'docs/new.md': 'see @starter/a\n',
    });
    renameScope({ root, to: '@acme', force: true });
    expect(read(root, 'local/notes.md')).toBe('@starter/a\n');
    expect(read(root, 'docs/new.md')).toBe('see @acme/a\n');
    expect(read(root, 'Dockerfile')).toBe('RUN npm run build -w @acme/a\n');
  });
});

describe('the rename command', () => {
  // The way `npm run rename` runs it: Node's own type stripping, nothing installed needed.
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--experimental-strip-types', cli, ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
      env: childEnv(process.env),
    });

  it('answers an invalid scope with the reason and the usage, exit code 2', () => {
    const res = run('--scope', 'MyOrg');
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('invalid scope "MyOrg": a scope starts with "@", e.g. @myorg');
    expect(res.stderr).toContain('Usage: npm run rename -- --scope @myorg');
    expect(res.stdout).toBe('');
  });

  it('answers a missing --scope or an unknown option with the usage, exit code 2', () => {
    const missing = run('--dry-run');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--scope is required[\s\S]*Usage:/);
    const unknown = run('--scope', '@acme', '--colour');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--colour'[\s\S]*Usage:/);
  });

  it('lists the files a dry run would change in this repository and writes nothing', () => {
    const from = detectScope(repoRoot);
    const to = '@acme-dry';
    const res = run('--scope', to, '--dry-run');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('  package.json (');
    expect(res.stdout).toContain('  package-lock.json (');
    expect(res.stdout).toMatch(
      new RegExp(`Would rename ${from}/ to ${to}/: \\d+ occurrence\\(s\\) in \\d+ of \\d+`),
    );
    expect(res.stdout).toContain('Dry run: nothing was written.');
    expect(detectScope(repoRoot)).toBe(from);
  });
});

// Copies the whole tree, renames it and proves the result installs, builds and passes tests.
// Needs the npm cache and several minutes, so CI turns it on with TREE_TESTS=1.
describe.runIf(process.env.TREE_TESTS === '1')('the renamed tree', () => {
  it('has no trace of the old scope, installs from its lockfile, builds, typechecks and passes tests', {
    timeout: 45 * 60_000,
  }, async () => {
    const work = mkdtempSync(join(tmpdir(), 'renamed-tree-'));
    try {
      await renameInstallBuildTest(work, detectScope(repoRoot), '@acme-test');
    } finally {
      await rm(work, { recursive: true, force: true }); // a whole install: longer than a hook may take
    }
  });
});

async function renameInstallBuildTest(work: string, from: string, to: string): Promise<void> {
  const copied = copyProject(repoRoot, work);
  expect(copied).toBeGreaterThan(100);
  const env = childEnv(process.env, { TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' });
  const opts = (timeoutMs: number) => ({ cwd: work, env, timeoutMs });

  // Right after degit, before `npm install`: the root script needs nothing installed.
  expect(existsSync(join(work, 'node_modules'))).toBe(false);
  const renamed = await mustRun(
    'npm',
    ['run', '--silent', 'rename', '--', '--scope', to],
    opts(60_000),
  );
  expect(renamed.stdout).toMatch(new RegExp(`Renamed ${from}/ to ${to}/: \\d+ occurrence`));
  expect(renamed.stdout).toContain('Next: run `npm install`');

  const leftovers = projectFiles(work).filter((f) => {
    const text = readText(join(work, f));
    return text !== undefined && countScope(text, from) > 0;
  });
  expect(leftovers).toEqual([]);
  expect(detectScope(work)).toBe(to);
  const lock = JSON.parse(read(work, 'package-lock.json')) as { packages: object };
  expect(Object.keys(lock.packages)).toContain(`node_modules/${to}/server`);

  expect(renamed.stdout).toContain('After `npm install`, run `npm run format`');

  // npm ci fails when package.json and package-lock.json disagree.
  await mustRun('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], opts(15 * 60_000));
  // What rename asked for: the imports in their new order, then a clean lint.
  await mustRun('npm', ['run', 'format'], opts(5 * 60_000));
  await mustRun('npm', ['run', 'lint'], opts(5 * 60_000));
  await mustRun('npx', ['turbo', 'run', 'build', 'typecheck'], opts(20 * 60_000));
  const tests = await mustRun(
    'npx',
    ['turbo', 'run', 'test', `--filter=${to}/server`, `--filter=${to}/where2eat`],
    opts(20 * 60_000),
  );
  expect(tests.output).toContain(`${to}/where2eat:test`);
  expect(tests.output).toMatch(/Tasks:\s+\d+ successful, \d+ total/);
}
