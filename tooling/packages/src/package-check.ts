import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

// Checks that a package under packages/ can be copied into a project that has never heard of
// this monorepo: a complete manifest, every import declared, a README with a runnable example
// and every option documented.

/** The fields of package.json these checks read. */
export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  license?: string;
  engines?: Record<string, string>;
  exports?: Record<string, unknown>;
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

/** A folder under packages/ with its manifest. */
export interface WorkspacePackage {
  readonly dir: string;
  readonly name: string;
  readonly manifest: PackageManifest;
}

/** Every folder of `packagesDir` that holds a package.json, sorted by folder name. */
export function listPackages(packagesDir: string): WorkspacePackage[] {
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(packagesDir, e.name, 'package.json')))
    .map((e) => {
      const dir = join(packagesDir, e.name);
      const manifest = JSON.parse(
        readFileSync(join(dir, 'package.json'), 'utf8'),
      ) as PackageManifest;
      return { dir, name: manifest.name, manifest };
    })
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

/** The names a consumer may rely on being installed next to the package. */
export function declaredNames(manifest: PackageManifest): Set<string> {
  return new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
}

interface ExportTarget {
  readonly subpath: string;
  readonly types?: string;
  readonly runtime?: string;
}

function exportTargets(manifest: PackageManifest): ExportTarget[] {
  return Object.entries(manifest.exports ?? {})
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, value]) => {
      if (typeof value === 'string') return { subpath, runtime: value };
      const conditions = value as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      return {
        subpath,
        types: str(conditions.types),
        runtime: str(conditions.import) ?? str(conditions.default),
      };
    });
}

const LOCAL_SPEC = /^(file:|link:|workspace:|portal:|\*$|$)/;

/**
 * What keeps the manifest from working outside the monorepo, one sentence each; empty when
 * nothing does. Needs the package built (dist/).
 */
export function manifestProblems(pkg: WorkspacePackage): string[] {
  const m = pkg.manifest;
  const problems: string[] = [];
  if (m.private) problems.push('"private": true: it cannot be packed for another project');
  if (m.type !== 'module') problems.push('"type" is not "module"');
  if (!m.license) problems.push('no "license"');
  if (!m.engines?.node) problems.push('no "engines.node"');
  if (!m.files?.includes('dist')) problems.push('"files" does not list "dist"');
  if (!existsSync(join(pkg.dir, 'README.md'))) problems.push('no README.md');
  // `npm pack` of an unbuilt package would ship only the README and package.json, silently.
  if (m.scripts?.build && !/\bbuild\b/.test(m.scripts.prepack ?? '')) {
    problems.push('no "prepack" script that builds: npm pack would ship a package without dist/');
  }
  const targets = exportTargets(m);
  if (!targets.some((t) => t.subpath === '.')) problems.push('"exports" has no "." entry');
  for (const t of targets) {
    if (!t.types) problems.push(`exports["${t.subpath}"] has no "types" condition`);
    if (!t.runtime) problems.push(`exports["${t.subpath}"] has no "import" or "default" target`);
    for (const file of [t.types, t.runtime]) {
      if (!file) continue;
      if (!file.startsWith('./dist/')) {
        problems.push(`exports["${t.subpath}"] points outside dist/: ${file}`);
      } else if (!existsSync(join(pkg.dir, file))) {
        problems.push(`exports["${t.subpath}"] points at ${file}, which the build did not write`);
      }
    }
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
    for (const [name, spec] of Object.entries(m[field] ?? {})) {
      if (LOCAL_SPEC.test(spec)) {
        problems.push(`${field}["${name}"] is "${spec}": use a version range npm can resolve`);
      }
    }
  }
  return problems;
}

/** Module specifiers imported or re-exported by emitted JavaScript or a declaration file. */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = new Set<string>();
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) found.add(match[1] as string);
  }
  return [...found].sort();
}

const builtins = new Set(builtinModules);

/** The package a bare specifier names (`@scope/name` or `name`); undefined for relative and builtin ones. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  if (specifier.startsWith('node:') || builtins.has(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function distFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(js|mjs|cjs|d\.ts|d\.mts)$/.test(entry.name) && !/\.test\./.test(entry.name)) {
        out.push(path);
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** An import of the built package that its manifest does not declare. */
export interface UndeclaredImport {
  /** File under the package folder. */
  readonly file: string;
  readonly specifier: string;
  /** Where the manifest has it, if anywhere (a devDependency is not installed for consumers). */
  readonly declaredAs?: 'devDependencies';
}

/**
 * Imports in dist/ (code and declarations, tests excluded) of packages that are neither
 * dependencies, peer dependencies nor optional dependencies: a consumer would not get them.
 */
export function undeclaredImports(pkg: WorkspacePackage): UndeclaredImport[] {
  const declared = declaredNames(pkg.manifest);
  const out: UndeclaredImport[] = [];
  for (const file of distFiles(join(pkg.dir, 'dist'))) {
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      const name = packageOf(specifier);
      if (!name || name === pkg.name || declared.has(name)) continue;
      out.push({
        file: relative(pkg.dir, file).split(sep).join('/'),
        specifier,
        ...(pkg.manifest.devDependencies?.[name] ? { declaredAs: 'devDependencies' as const } : {}),
      });
    }
  }
  return out;
}

/**
 * Package names the README's install command (`npm install …` in a ```sh block, not `-D`) tells
 * a consumer to install.
 */
export function readmeInstallNames(readme: string): string[] {
  const names = new Set<string>();
  for (const block of readme.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```\s*$/gm)) {
    for (const line of (block[1] as string).split('\n')) {
      const command = /^\s*npm (?:install|i|add)\s+(.*)$/.exec(line.replace(/\s#.*$/, ''));
      if (!command || /(^|\s)(-D|--save-dev)(\s|$)/.test(command[1] as string)) continue;
      for (const token of (command[1] as string).split(/\s+/)) {
        if (!token || token.startsWith('-')) continue;
        names.add(token.replace(/(.)@[^/]*$/, '$1')); // drop a version: name@1, @scope/name@^2
      }
    }
  }
  return [...names].sort();
}

/** The example a README promises works: the code and what it prints. */
export interface ReadmeExample {
  readonly code: string;
  /** Lines the example prints; `…` in a line stands for any text. */
  readonly output: string;
}

const EXAMPLE_HEADING = /^## Example\s*$/m;

/**
 * The README's example: the first ```ts block under the `## Example` heading, and the first
 * ```text block after it in that section, which shows what the example prints.
 * @throws Error naming what is missing
 */
export function readmeExample(readme: string): ReadmeExample {
  const heading = EXAMPLE_HEADING.exec(readme);
  if (!heading) throw new Error('the README has no "## Example" heading');
  const rest = readme.slice(heading.index + heading[0].length);
  const next = rest.search(/^## /m);
  const section = next < 0 ? rest : rest.slice(0, next);
  const code = /^```ts\n([\s\S]*?)^```\s*$/m.exec(section);
  if (!code) throw new Error('the "## Example" section has no ```ts block');
  const afterCode = section.slice(code.index + code[0].length);
  const output = /^```text\n([\s\S]*?)^```\s*$/m.exec(afterCode);
  if (!output) {
    throw new Error(
      'the "## Example" section has no ```text block after the code showing its output',
    );
  }
  return { code: code[1] as string, output: output[1] as string };
}

/**
 * The lines of `expected` that `actual` does not print, in order: each expected line must match
 * a later line of `actual` than the one before; `…` matches any text, spaces at the ends are
 * ignored.
 */
export function missingOutput(expected: string, actual: string): string[] {
  const actualLines = actual.split('\n').map((l) => l.trim());
  const missing: string[] = [];
  let from = 0;
  for (const line of expected.split('\n').map((l) => l.trim())) {
    if (!line) continue;
    const pattern = new RegExp(
      `^${line
        .split('…')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    const at = actualLines.findIndex((l, i) => i >= from && pattern.test(l));
    if (at < 0) missing.push(line);
    else from = at + 1;
  }
  return missing;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/** Names a declaration file exports, following `export … from './x.js'` inside the package. */
function exportedNames(file: string, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(file) || !existsSync(file)) return names;
  seen.add(file);
  const code = stripComments(readFileSync(file, 'utf8'));
  for (const m of code.matchAll(
    /export\s+(?:type\s+)?\{([^}]*)\}(?:\s*from\s*['"]([^'"]+)['"])?/g,
  )) {
    for (const item of (m[1] as string).split(',')) {
      const name = item
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
      if (name) names.add(name);
    }
  }
  for (const m of code.matchAll(
    /export\s+(?:declare\s+)?(?:interface|type|class|function|const)\s+(\w+)/g,
  )) {
    names.add(m[1] as string);
  }
  for (const m of code.matchAll(/export\s+\*\s+from\s*['"](\.[^'"]+)['"]/g)) {
    const target = resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.d.ts'));
    for (const n of exportedNames(target, seen)) names.add(n);
  }
  return names;
}

/** Top-level member names of an interface body (the text between its braces). */
function memberNames(body: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let line = '';
  const flush = () => {
    const m = depth === 0 ? /^\s*(?:readonly\s+)?([A-Za-z_$][\w$]*)\??\s*[:(]/.exec(line) : null;
    if (m) names.push(m[1] as string);
    line = '';
  };
  for (const ch of body) {
    if (depth === 0 && (ch === ';' || ch === '\n')) {
      flush();
      continue;
    }
    if (ch === '{' || ch === '(' || ch === '[') depth++;
    if (ch === '}' || ch === ')' || ch === ']') depth--;
    if (depth === 0 || ch !== '\n') line += ch;
  }
  flush();
  return names;
}

/** Interfaces named `…Options` that the package's entry points export, with their member names. */
export function publicOptionTypes(pkg: WorkspacePackage): Map<string, string[]> {
  const publicNames = new Set<string>();
  for (const t of exportTargets(pkg.manifest)) {
    if (t.types) for (const n of exportedNames(join(pkg.dir, t.types))) publicNames.add(n);
  }
  const result = new Map<string, string[]>();
  for (const file of distFiles(join(pkg.dir, 'dist')).filter((f) => f.endsWith('.d.ts'))) {
    const code = stripComments(readFileSync(file, 'utf8'));
    for (const m of code.matchAll(
      /(?:export\s+)?(?:declare\s+)?interface\s+(\w+Options)\b[^{]*\{/g,
    )) {
      const name = m[1] as string;
      if (!publicNames.has(name) || result.has(name)) continue;
      let depth = 1;
      let end = (m.index ?? 0) + m[0].length;
      const start = end;
      while (end < code.length && depth > 0) {
        if (code[end] === '{') depth++;
        if (code[end] === '}') depth--;
        end++;
      }
      result.set(name, memberNames(code.slice(start, end - 1)));
    }
  }
  return result;
}

/**
 * Members of public options interfaces that the README does not document: each needs a table
 * row whose first cell names it (`name`) or a list item starting with it.
 */
export function undocumentedOptions(pkg: WorkspacePackage, readme: string): string[] {
  const documented = new Set<string>();
  for (const line of readme.split('\n')) {
    const cell =
      /^\|([^|]*)\|/.exec(line)?.[1] ?? /^\s*[-*]\s+(.*)$/.exec(line)?.[1]?.split(/[:—]/)[0];
    if (!cell) continue;
    for (const m of cell.matchAll(/`\[?([A-Za-z_$][\w$]*)/g)) documented.add(m[1] as string);
  }
  const missing: string[] = [];
  for (const [type, members] of publicOptionTypes(pkg)) {
    for (const member of members) {
      if (!documented.has(member)) missing.push(`${type}.${member}`);
    }
  }
  return missing;
}
