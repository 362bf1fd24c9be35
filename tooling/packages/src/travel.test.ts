import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { childEnv, mustRun } from '@micro-app/rename-tool/tree';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  declaredNames,
  importSpecifiers,
  listPackages,
  manifestProblems,
  missingOutput,
  packageOf,
  readmeExample,
  readmeInstallNames,
  undeclaredImports,
  undocumentedOptions,
  type WorkspacePackage,
} from './package-check.js';

// Every package under packages/ must work when copied into a project that has never heard of
// this monorepo. The checks below read the built package (turbo builds the packages before this
// test: this tool lists them as devDependencies); with TREE_TESTS=1 each package is packed with
// `npm pack`, installed from its tarball into a fresh project outside the repository, and its
// README example is typechecked and run there.

const repoRoot = resolve(import.meta.dirname, '../../..');
const packages = listPackages(join(repoRoot, 'packages'));
const workspaceNames = new Set(packages.map((p) => p.name));
const lockfile = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; link?: boolean }>;
};
const ownManifest = JSON.parse(
  readFileSync(join(import.meta.dirname, '../package.json'), 'utf8'),
) as {
  devDependencies?: Record<string, string>;
};

/** The version the workspace installed, so the fresh project gets what the repo tested with. */
function lockedVersion(name: string): string | undefined {
  const entry = lockfile.packages[`node_modules/${name}`];
  return entry?.link ? undefined : entry?.version;
}

const readme = (pkg: WorkspacePackage) => readFileSync(join(pkg.dir, 'README.md'), 'utf8');
const folder = (pkg: WorkspacePackage) => relative(repoRoot, pkg.dir);

/**
 * What the fresh project installs besides the tarballs: the packages the README's install
 * command names and the ones its example imports.
 */
function exampleNeeds(pkg: WorkspacePackage): string[] {
  const text = readme(pkg);
  const names = [
    ...readmeInstallNames(text),
    ...importSpecifiers(readmeExample(text).code).map(packageOf),
  ].filter((n): n is string => n !== undefined && !workspaceNames.has(n));
  return [...new Set(names)].sort();
}

/** The package and the workspace packages it depends on, transitively. */
function withWorkspaceDeps(pkg: WorkspacePackage): WorkspacePackage[] {
  const out = new Map<string, WorkspacePackage>();
  const visit = (p: WorkspacePackage) => {
    if (out.has(p.name)) return;
    out.set(p.name, p);
    for (const name of declaredNames(p.manifest)) {
      const dep = packages.find((q) => q.name === name);
      if (dep) visit(dep);
    }
  };
  visit(pkg);
  return [...out.values()];
}

describe('package checks', () => {
  it('finds the packages', () => {
    expect(packages.length).toBeGreaterThan(0);
  });

  describe.each(packages.map((p) => [folder(p), p] as const))('%s', (_, pkg) => {
    it('is built before this test runs (this tool devDepends on it, so turbo builds it first)', () => {
      expect(ownManifest.devDependencies?.[pkg.name]).toBe('*');
      expect(
        existsSync(join(pkg.dir, 'dist')),
        `${pkg.name} has no dist/: run npx turbo run build`,
      ).toBe(true);
    });

    it('has a manifest that works outside the monorepo', () => {
      expect(manifestProblems(pkg)).toEqual([]);
    });

    it('passes publint', async () => {
      const { messages, pkg: manifest } = await publint({
        pkgDir: pkg.dir,
        level: 'suggestion',
        strict: true,
      });
      expect(
        messages.map((m) => `${m.type}: ${formatMessage(m, manifest, { color: false })}`),
      ).toEqual([]);
    });

    it('declares every package its built code and declarations import', () => {
      expect(undeclaredImports(pkg)).toEqual([]);
    });

    it('has a README install command and example the repository can provide', () => {
      const example = readmeExample(readme(pkg));
      expect(importSpecifiers(example.code).some((s) => packageOf(s) === pkg.name)).toBe(true);
      expect(readmeInstallNames(readme(pkg))).toContain(pkg.name);
      const unknown = exampleNeeds(pkg).filter((n) => !lockedVersion(n));
      expect(
        unknown,
        'the README installs or imports packages package-lock.json does not know',
      ).toEqual([]);
      expect(example.output.trim()).not.toBe('');
    });

    it('says how to run its example in a project made by npm init -y and tsc --init', () => {
      const section = readme(pkg).split(/^## Example$/m)[1] ?? '';
      for (const step of ['npm init -y', 'npx tsc --init --types node', 'example.mts']) {
        expect(section, step).toContain(step);
      }
    });

    it('documents every option of its public options types in the README', () => {
      expect(undocumentedOptions(pkg, readme(pkg))).toEqual([]);
    });
  });
});

describe.runIf(process.env.TREE_TESTS === '1')('packed packages in a fresh project', () => {
  const env = childEnv(process.env, { npm_config_update_notifier: 'false' });
  const tarballs = new Map<string, string>();
  let packDir = '';
  const tools = ['tsx', 'typescript', '@types/node'];

  beforeAll(async () => {
    packDir = mkdtempSync(join(tmpdir(), 'travel-tarballs-'));
    for (const pkg of packages) {
      // turbo built the package already; its prepack would rebuild dist/ under the feet of
      // the tests running beside this one.
      const packed = await mustRun(
        'npm',
        ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir],
        {
          cwd: pkg.dir,
          env,
          timeoutMs: 60_000,
        },
      );
      const [info] = JSON.parse(packed.stdout) as Array<{
        filename: string;
        files: Array<{ path: string }>;
      }>;
      if (!info) throw new Error(`npm pack printed nothing for ${pkg.name}`);
      const files = info.files.map((f) => f.path);
      expect(files, pkg.name).toContain('README.md');
      expect(files, pkg.name).toContain('dist/index.d.ts');
      expect(
        files.filter((f) => f.startsWith('src/') || /\.test\./.test(f) || f.includes('tsconfig')),
        `${pkg.name} packs files a consumer does not need`,
      ).toEqual([]);
      tarballs.set(pkg.name, join(packDir, info.filename));
    }
  }, 5 * 60_000);

  afterAll(async () => {
    if (packDir) await rm(packDir, { recursive: true, force: true });
  });

  it.each(packages.map((p) => [p.name, p] as const))(
    '%s installs from its tarball and its README example typechecks and runs',
    { timeout: 15 * 60_000 },
    async (_, pkg) => {
      const example = readmeExample(readme(pkg));
      const project = mkdtempSync(join(tmpdir(), `travel-${pkg.name.replace(/\W+/g, '-')}-`));
      try {
        expect(relative(repoRoot, project).startsWith('..')).toBe(true);
        const run = (cmd: string, args: string[], timeoutMs: number) =>
          mustRun(cmd, args, { cwd: project, env, timeoutMs });
        // As the README says: a project made by `npm init -y` (CommonJS, npm's default) ...
        await run('npm', ['init', '-y'], 60_000);
        const made = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
        expect(made.type ?? 'commonjs', 'npm init -y makes a CommonJS project').toBe('commonjs');
        const needs = [...exampleNeeds(pkg), ...tools].map((name) => {
          const version = lockedVersion(name);
          if (!version) throw new Error(`package-lock.json has no version of ${name}`);
          return `${name}@${version}`;
        });
        const ownTarballs = withWorkspaceDeps(pkg).map((p) => tarballs.get(p.name) as string);

        await run(
          'npm',
          ['install', '--prefer-offline', '--no-audit', '--no-fund', ...ownTarballs, ...needs],
          10 * 60_000,
        );
        const installed = join(project, 'node_modules', pkg.name);
        expect(lstatSync(installed).isSymbolicLink()).toBe(false);
        expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version).toBe(
          pkg.manifest.version,
        );

        // ... TypeScript's own defaults from `tsc --init` (strict, exactOptionalPropertyTypes,
        // noUncheckedIndexedAccess, verbatimModuleSyntax), with Node's types ...
        const tsc = join(project, 'node_modules/.bin/tsc');
        await run(tsc, ['--init', '--types', 'node'], 60_000);
        expect(readFileSync(join(project, 'tsconfig.json'), 'utf8')).toMatch(
          /"exactOptionalPropertyTypes": true/,
        );
        // ... and the example as an ES module file, typechecked, then run.
        writeFileSync(join(project, 'example.mts'), example.code);
        await run(tsc, ['--noEmit'], 2 * 60_000);

        const ran = await run(join(project, 'node_modules/.bin/tsx'), ['example.mts'], 60_000);
        expect(
          missingOutput(example.output, ran.stdout),
          `lines the README promises but the example did not print; it printed:\n${ran.output}`,
        ).toEqual([]);
      } finally {
        await rm(project, { recursive: true, force: true });
      }
    },
  );

  // What each README says about copying the folder instead, done for the smallest package (the
  // steps are the same for every one; each install costs a minute).
  it('a copied package folder builds on its own, with tsconfig.base.json two folders up', {
    timeout: 10 * 60_000,
  }, async () => {
    const pkg = packages.find((p) => p.name.endsWith('/problem'));
    if (!pkg) throw new Error('no packages/problem');
    const work = mkdtempSync(join(tmpdir(), 'travel-copy-'));
    try {
      cpSync(join(repoRoot, 'tsconfig.base.json'), join(work, 'tsconfig.base.json'));
      const dir = join(work, 'vendor', 'problem');
      cpSync(pkg.dir, dir, {
        recursive: true,
        filter: (from) =>
          !/(^|[/\\])(node_modules|dist|\.turbo)([/\\]|$)/.test(relative(pkg.dir, from)),
      });
      const devTools = ['typescript', '@types/node'].map((n) => `${n}@${lockedVersion(n)}`);
      const run = (args: string[]) =>
        mustRun('npm', args, { cwd: dir, env, timeoutMs: 5 * 60_000 });
      await run(['install', '--prefer-offline', '--no-audit', '--no-fund']);
      await run(['install', '-D', '--prefer-offline', '--no-audit', '--no-fund', ...devTools]);
      await run(['run', 'build']);
      expect(existsSync(join(dir, 'dist/index.d.ts'))).toBe(true);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
