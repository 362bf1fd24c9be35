import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RenameError, renameScope } from './rename-scope.ts';

// `npm run rename -- --scope @myorg`: gives the forked project its own npm scope. It runs on
// Node's own type stripping and imports only node: modules, so it works before `npm install`.

const USAGE = `Usage: npm run rename -- --scope @myorg [--dry-run] [--force]

Renames the npm scope of every workspace package, everywhere it is written: package names and
dependencies, package-lock.json, imports, Dockerfiles, workflows, chart values, docs.

  --scope @name  the new scope (npm rules: lowercase letters, digits, - _ . ~)
  --dry-run      list the files that would change, write nothing
  --force        rename even with uncommitted git changes or when @name/ already occurs
  --help         show this text
`;

const write = (text: string) => process.stdout.write(`${text}\n`);
const fail = (text: string, code: number): never => {
  process.stderr.write(`rename: ${text}\n`);
  process.exit(code);
};

let values: { scope?: string; 'dry-run'?: boolean; force?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      scope: { type: 'string' },
      'dry-run': { type: 'boolean' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (err) {
  fail(`${(err as Error).message}\n\n${USAGE}`, 2);
  throw err; // unreachable: fail() exits
}

if (values.help) {
  write(USAGE);
  process.exit(0);
}
if (!values.scope) fail(`--scope is required\n\n${USAGE}`, 2);

const root = resolve(import.meta.dirname, '../../..');
const dryRun = values['dry-run'] === true;
try {
  const result = renameScope({ root, to: values.scope as string, dryRun, force: values.force });
  if (!result.changed) {
    write(`The workspace packages already use ${result.to}: nothing to do.`);
  } else {
    for (const file of result.files) write(`  ${file.path} (${file.occurrences})`);
    const verb = dryRun ? 'Would rename' : 'Renamed';
    write(
      `${verb} ${result.from}/ to ${result.to}/: ${result.occurrences} occurrence(s) in ` +
        `${result.files.length} of ${result.scanned} text file(s).`,
    );
    if (dryRun) {
      write('Dry run: nothing was written.');
    } else {
      // A new scope sorts differently: put the imports of the changed files back in order, so
      // `npm run lint` passes right away (Biome is there once `npm install` ran).
      const biome = join(root, 'node_modules/@biomejs/biome/bin/biome');
      const code = result.files.map((f) => f.path).filter((p) => /\.(ts|tsx|js|mjs|json)$/.test(p));
      if (code.length > 0 && existsSync(biome)) {
        const fixed = spawnSync(
          process.execPath,
          [biome, 'check', '--write', '--no-errors-on-unmatched', ...code],
          { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
        );
        write(
          fixed.status === 0
            ? `Sorted the imports of ${code.length} file(s) (biome check --write).`
            : 'biome check --write could not fix every file: run `npm run format`, then `npm run lint`.',
        );
      } else if (code.length > 0) {
        write(
          'After `npm install`, run `npm run format`: the new scope sorts imports differently.',
        );
      }
      write(
        'Next: run `npm install` to link the workspaces under their new names, then `npm test`.',
      );
    }
  }
} catch (err) {
  if (err instanceof RenameError && err.code === 'INVALID_SCOPE')
    fail(`${err.message}\n\n${USAGE}`, 2);
  if (err instanceof RenameError) fail(err.message, 1);
  throw err;
}
