import { type Dirent, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Folders that hold installed, generated or local data, never an app's own sources. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.turbo', '.data', 'coverage', '.git']);

/** Every file under `dir` (relative, `/`-separated), skipping installed and generated folders. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(path);
      } else if (entry.isFile()) {
        out.push(relative(dir, path).split(sep).join('/'));
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** 1-based line number of a character offset. */
export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
