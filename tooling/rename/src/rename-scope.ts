import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Folders never renamed: installed, built or generated content, and git's own. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  '.git',
  'node_modules',
  'dist',
  '.turbo',
  '.data',
  'coverage',
]);

// npm's rule for the scope part of a package name: lowercase, URL-safe, not starting with . or _.
const SCOPE_PATTERN = /^@[a-z0-9~-][a-z0-9._~-]*$/;
// The longest package name npm accepts; the scope must leave room for `/<name>`.
const MAX_SCOPE_LENGTH = 100;

/** Why {@link renameScope} refused. */
export type RenameErrorCode =
  | 'INVALID_SCOPE'
  | 'NO_SCOPE_FOUND'
  | 'MIXED_SCOPES'
  | 'TARGET_SCOPE_IN_USE'
  | 'UNCOMMITTED_CHANGES';

/** Raised for bad input or a tree the rename refuses to touch; `message` is meant for people. */
export class RenameError extends Error {
  override name = this.constructor.name;
  readonly code: RenameErrorCode;
  constructor(message: string, code: RenameErrorCode) {
    super(message);
    this.code = code;
  }
}

/**
 * Checks a scope as npm would for the first part of `@scope/name`.
 * @param scope e.g. `@myorg`
 * @returns the scope, unchanged
 * @throws RenameError `INVALID_SCOPE` naming what is wrong
 */
export function validateScope(scope: string): string {
  if (!scope.startsWith('@')) {
    throw new RenameError(
      `invalid scope "${scope}": a scope starts with "@", e.g. @${scope.toLowerCase() || 'myorg'}`,
      'INVALID_SCOPE',
    );
  }
  if (scope.length > MAX_SCOPE_LENGTH) {
    throw new RenameError(
      `invalid scope "${scope}": longer than ${MAX_SCOPE_LENGTH} characters`,
      'INVALID_SCOPE',
    );
  }
  if (!SCOPE_PATTERN.test(scope)) {
    throw new RenameError(
      `invalid scope "${scope}": use lowercase letters, digits, "-", "_", "." and "~", ` +
        'not starting with "." or "_" (npm package name rules)',
      'INVALID_SCOPE',
    );
  }
  return scope;
}

/** The folders of the npm workspaces listed in the root package.json (`dir/*` or `dir`). */
export function workspaceDirs(root: string): string[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    workspaces?: string[] | { packages?: string[] };
  };
  const patterns = Array.isArray(manifest.workspaces)
    ? manifest.workspaces
    : (manifest.workspaces?.packages ?? []);
  const dirs: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const entry of readdirSync(parent, { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(join(parent, entry.name));
      }
    } else if (!/[*?[]/.test(pattern)) {
      dirs.push(join(root, pattern));
    } else {
      throw new Error(`workspace pattern "${pattern}" is not supported (use "dir/*" or "dir")`);
    }
  }
  return dirs.filter((d) => existsSync(join(d, 'package.json'))).sort();
}

/**
 * The scope the workspace packages share today, read from their package.json names.
 * @throws RenameError `NO_SCOPE_FOUND` or `MIXED_SCOPES`
 */
export function detectScope(root: string): string {
  const scopes = new Map<string, string[]>();
  for (const dir of workspaceDirs(root)) {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name?: string;
    };
    const scope = name?.match(/^(@[^/]+)\//)?.[1];
    if (!scope || !name) continue;
    scopes.set(scope, [...(scopes.get(scope) ?? []), name]);
  }
  if (scopes.size === 0) {
    throw new RenameError(
      'no workspace package has a scoped name (@scope/name): nothing to rename',
      'NO_SCOPE_FOUND',
    );
  }
  if (scopes.size > 1) {
    const list = [...scopes].map(([s, names]) => `${s} (${names.join(', ')})`).join('; ');
    throw new RenameError(
      `the workspace packages use more than one scope: ${list}`,
      'MIXED_SCOPES',
    );
  }
  return [...scopes.keys()][0] as string;
}

function isGitRoot(root: string): boolean {
  const top = spawnSync('git', ['rev-parse', '--show-toplevel'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 10_000,
  });
  return top.status === 0 && relative(top.stdout.trim(), root) === '';
}

function git(root: string, args: string[]): string {
  const run = spawnSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) {
    throw new Error(`git ${args.join(' ')} failed: ${run.stderr || run.error?.message}`);
  }
  return run.stdout;
}

/** Paths git shows as changed, added or untracked (not ignored); empty outside a git repo. */
export function uncommittedChanges(root: string): string[] {
  if (!isGitRoot(root)) return [];
  return git(root, ['status', '--porcelain', '--untracked-files=all'])
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3));
}

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) walk(root, join(dir, entry.name), out);
    } else if (entry.isFile()) {
      out.push(relative(root, join(dir, entry.name)).split(sep).join('/'));
    }
  }
}

/**
 * The files of the project, relative to `root` with `/` separators: in a git repository the
 * tracked files and the untracked ones `.gitignore` does not exclude; otherwise (a degit copy)
 * every file outside {@link SKIPPED_DIRS}.
 */
export function projectFiles(root: string): string[] {
  const files = isGitRoot(root)
    ? git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])
        .split('\0')
        .filter((f) => f && !f.split('/').some((part) => SKIPPED_DIRS.has(part)))
    : (() => {
        const out: string[] = [];
        walk(root, root, out);
        return out;
      })();
  return [...new Set(files)]
    .filter((f) => {
      const path = join(root, f);
      return existsSync(path) && statSync(path).isFile(); // deleted but still in the index
    })
    .sort();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text, or `undefined` for a binary file (a NUL byte, or not UTF-8). */
export function readText(path: string): string | undefined {
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 8192).includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function scopePattern(scope: string): RegExp {
  const escaped = scope.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // `@scope/` as a whole: not the tail of `user@scope/` or of `@other@scope/`.
  return new RegExp(`(?<![A-Za-z0-9_.@-])${escaped}/`, 'g');
}

/** Number of `@scope/` occurrences in a text. */
export function countScope(text: string, scope: string): number {
  return text.match(scopePattern(scope))?.length ?? 0;
}

/** Replaces every `@from/` with `@to/` in a text. */
export function replaceScope(text: string, from: string, to: string): string {
  return text.replace(scopePattern(from), `${to}/`);
}

/** Options of {@link renameScope}. */
export interface RenameOptions {
  /** The project root (holds the root package.json). */
  readonly root: string;
  /** The new scope, e.g. `@myorg`. */
  readonly to: string;
  /** Report what would change, write nothing. */
  readonly dryRun?: boolean;
  /** Rename even with uncommitted git changes or when the new scope already occurs. */
  readonly force?: boolean;
}

/** One file the rename changes. */
export interface RenamedFile {
  readonly path: string;
  readonly occurrences: number;
}

/** What {@link renameScope} did (or, in a dry run, would do). */
export interface RenameResult {
  readonly from: string;
  readonly to: string;
  /** `false` when the tree already used the new scope and nothing was to be done. */
  readonly changed: boolean;
  readonly files: readonly RenamedFile[];
  readonly occurrences: number;
  /** Text files looked at (binaries are skipped). */
  readonly scanned: number;
}

/**
 * Renames the npm scope of the project: every `@old/` becomes `@new/` in every text file of
 * the project (package names and dependencies, the lockfile, imports, Dockerfiles, workflows,
 * chart values, docs …). The old scope is the one the workspace packages share. Running it again
 * with the same scope changes nothing.
 * @throws RenameError `INVALID_SCOPE`, `NO_SCOPE_FOUND`, `MIXED_SCOPES`, and, unless `force`,
 * `UNCOMMITTED_CHANGES` (git shows changes, so the rename could not be reviewed or undone) and
 * `TARGET_SCOPE_IN_USE` (a package.json or the lockfile already names a package of the new scope)
 */
export function renameScope(options: RenameOptions): RenameResult {
  const to = validateScope(options.to);
  const from = detectScope(options.root);
  const files = projectFiles(options.root);
  if (from === to) {
    return { from, to, changed: false, files: [], occurrences: 0, scanned: files.length };
  }
  if (!options.force && !options.dryRun) {
    const dirty = uncommittedChanges(options.root);
    if (dirty.length > 0) {
      const shown = dirty.slice(0, 10).join(', ') + (dirty.length > 10 ? ' …' : '');
      throw new RenameError(
        `git shows ${dirty.length} uncommitted change(s) (${shown}); commit or stash them first ` +
          'so the rename is one reviewable diff, or pass --force',
        'UNCOMMITTED_CHANGES',
      );
    }
  }

  const texts = new Map<string, string>();
  for (const file of files) {
    const text = readText(join(options.root, file));
    if (text !== undefined) texts.set(file, text);
  }
  if (!options.force) {
    // Only manifests matter: a package of the new scope among the dependencies could end up with
    // the same name as a renamed workspace package. Docs and code may mention the scope freely.
    const clashes = [...texts]
      .filter(([f, text]) => /(^|\/)package(-lock)?\.json$/.test(f) && countScope(text, to) > 0)
      .map(([f]) => f);
    if (clashes.length > 0) {
      throw new RenameError(
        `${to}/ already names packages in ${clashes.slice(0, 10).join(', ')}; renaming ${from} to ` +
          `it could give two packages one name. Pass --force to rename anyway`,
        'TARGET_SCOPE_IN_USE',
      );
    }
  }

  const changed: RenamedFile[] = [];
  for (const [file, text] of texts) {
    const occurrences = countScope(text, from);
    if (occurrences === 0) continue;
    changed.push({ path: file, occurrences });
    if (!options.dryRun) writeFileSync(join(options.root, file), replaceScope(text, from, to));
  }
  return {
    from,
    to,
    changed: true,
    files: changed,
    occurrences: changed.reduce((n, f) => n + f.occurrences, 0),
    scanned: texts.size,
  };
}
