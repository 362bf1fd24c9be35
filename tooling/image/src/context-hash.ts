import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A hash of every file git sees in the repository (tracked, and untracked but not ignored):
 * paths, modes and contents. Equal hashes mean an image built from one tree can stand for the
 * other; the image carries it as a label so a test can reuse the build of the same tree.
 * Ignored files (node_modules, dist, out) are left out, as the build context leaves them out.
 */
export function contextHash(repoRoot: string): string {
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  )
    .split('\0')
    .filter((file) => file !== '')
    .sort();
  const hash = createHash('sha256');
  for (const file of new Set(files)) {
    const path = join(repoRoot, file);
    if (!existsSync(path)) continue;
    const stat = lstatSync(path);
    if (stat.isDirectory()) continue;
    hash.update(`${file}\0${stat.mode & 0o111 ? 'x' : '-'}\0`);
    hash.update(stat.isSymbolicLink() ? readlinkSync(path) : readFileSync(path));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
