import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The system binaries our checks run, each with the Debian package that ships it. One list:
 * `tooling/ci/install-system-tools.sh` installs from it (GitHub CI and `.ci/run` alike), and
 * tests ask {@link systemBinary} for a binary by name.
 */
export const SYSTEM_BINARIES_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'system-binaries.txt',
);

export interface SystemBinary {
  /** The command name, as found on PATH. */
  readonly name: string;
  /** The Debian package that ships it. */
  readonly debianPackage: string;
  /** The CI step group that needs it (`test`, `image`, `drill`, `compose`, `browser`). */
  readonly group: string;
}

/** Reads `system-binaries.txt`: `name package group` per line, `#` comments. */
export function listSystemBinaries(file = SYSTEM_BINARIES_FILE): SystemBinary[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [name, debianPackage, group] = line.split(/\s+/);
      if (!name || !debianPackage || !group) {
        throw new Error(`system-binaries.txt: expected "name package group", got "${line}"`);
      }
      return { name, debianPackage, group };
    });
}

/** Where `name` is on PATH (an executable file), or undefined. */
export function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface BinaryLookup {
  /** Absolute path of the binary when it is installed. */
  readonly path: string | undefined;
  /** Why a test that needs it skips; undefined when the binary is there. */
  readonly skipReason: string | undefined;
}

/**
 * Finds a system binary for a test. Installed: its path. Missing outside CI: a skip reason,
 * printed once to stderr so the skip is never silent. Missing with `CI=true`: throws, because
 * CI installs every binary in `system-binaries.txt` and a skip there would hide a broken step.
 *
 * @example
 * const promtool = systemBinary('promtool');
 * describe.skipIf(promtool.skipReason)('SLO rules (promtool)', () => { ... });
 * @throws {Error} when the binary is missing and `CI` is `true`, or is not in the list.
 */
export function systemBinary(name: string, env: NodeJS.ProcessEnv = process.env): BinaryLookup {
  const entry = listSystemBinaries().find((binary) => binary.name === name);
  if (!entry) throw new Error(`${name} is not listed in tooling/ci/system-binaries.txt`);
  const path = which(name, env.PATH ?? process.env.PATH);
  if (path) return { path, skipReason: undefined };
  const how = `apt-get install ${entry.debianPackage}, or run bash .ci/run (it installs every system binary)`;
  if (env.CI === 'true' || env.CI === '1') {
    throw new Error(`${name} is required under CI=true and is missing: ${how}`);
  }
  const skipReason = `SKIPPED: ${name} is not installed (${how})`;
  console.warn(skipReason);
  return { path: undefined, skipReason };
}
