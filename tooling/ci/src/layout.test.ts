import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The architecture as folders (docs/architecture.md): infra/ holds what is deployed or run by
// operators and no TypeScript; apps, packages and the app template never reach into a tool; the
// tools may import anything they check.

const root = resolve(import.meta.dirname, '../../..');
const SKIPPED = new Set(['node_modules', 'dist', '.turbo', '.data', 'coverage', 'pacts']);

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIPPED.has(e.name)) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? files(path) : [path];
  });
}

const workspaces = (parent: string) =>
  existsSync(join(root, parent))
    ? readdirSync(join(root, parent), { withFileTypes: true })
        .filter((e) => e.isDirectory() && existsSync(join(root, parent, e.name, 'package.json')))
        .map((e) => `${parent}/${e.name}`)
    : [];

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };

const toolDirs = [...workspaces('tooling'), 'turbo/generators'];
const toolNames = new Set(toolDirs.map((d) => manifest(d).name));
const runtimeDirs = [...workspaces('apps'), ...workspaces('packages'), ...workspaces('templates')];

describe('the layout', () => {
  it('keeps TypeScript out of infra/', () => {
    const code = files(join(root, 'infra')).filter((f) => /\.(c|m)?[tj]s$/.test(f));
    expect(code.map((f) => relative(root, f))).toEqual([]);
  });

  it('finds the tools and the runtime workspaces', () => {
    expect(toolNames.size).toBeGreaterThan(5);
    expect(runtimeDirs).toEqual(
      expect.arrayContaining(['apps/where2eat', 'packages/service', 'templates/app-template']),
    );
  });

  it.each(runtimeDirs)('%s depends on no tool and imports none', (dir) => {
    const { dependencies = {}, devDependencies = {} } = manifest(dir);
    const declared = Object.keys({ ...dependencies, ...devDependencies });
    expect(declared.filter((name) => toolNames.has(name))).toEqual([]);
    const reaching: string[] = [];
    for (const file of files(join(root, dir)).filter((f) => /\.(c|m)?tsx?$/.test(f))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)) {
        const spec = m[1] as string;
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec;
        if (toolNames.has(pkg) || /(^|\/)(tooling|turbo)\//.test(spec)) {
          reaching.push(`${relative(root, file)}: ${spec}`);
        }
      }
    }
    expect(reaching).toEqual([]);
  });
});
