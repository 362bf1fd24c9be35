import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import {
  GeneratorError,
  parseGenAppArgs,
  resolveAnswers,
  toPromptArgs,
  USAGE,
  workspaceScope,
} from './app-generator.js';

// `npm run gen:app -- <name> [--owner team-x …]`: checks the flags, then runs the `app` generator
// (config.ts) with every answer given, through the CLI of @turbo/gen, the package behind
// `turbo gen`. Called directly because `turbo gen` 2.11 exits 0 even when the generator fails,
// and its `--args` takes answers by position only. Without arguments, in a terminal, the
// generator asks each question. `npx turbo gen app` runs the same generator.

const root = resolve(import.meta.dirname, '../..');

const fail = (text: string, code: number): never => {
  process.stderr.write(`gen:app: ${text}\n`);
  process.exit(code);
};

/** Runs `gen run app …` of @turbo/gen (the version the workspace pins) and returns its status. */
function turboGen(args: string[]): number {
  const manifestPath = createRequire(join(root, 'package.json')).resolve('@turbo/gen/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: { gen: string } };
  const cli = join(dirname(manifestPath), manifest.bin.gen);
  const result = spawnSync(process.execPath, [cli, 'run', 'app', '--root', root, ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.error) fail(`could not run @turbo/gen: ${result.error.message}`, 1);
  return result.status ?? 1;
}

/** Folders in apps/. */
function appDirs(): string[] {
  return readdirSync(join(root, 'apps'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

/** What to do after generating `name`. */
function printNextSteps(name: string, installed: boolean): void {
  const scope = workspaceScope(root);
  const pkg = `${scope}/${name}`;
  const next: Array<[string, string]> = [
    ...(installed ? [] : [['npm install', 'links the new workspace'] as [string, string]]),
    [`npx turbo run test --filter=${pkg}`, 'its tests (builds the packages it needs first)'],
    [`EXTRA_AUDIENCES=${name} npm run dev -w ${scope}/dev-idp`, 'tokens for the app'],
    [`npm run dev -w ${pkg}`, `the app (apps/${name}/README.md has a curl)`],
    [`apps/${name}/docs/runbook.md`, 'fill in its TODOs before production'],
  ];
  const width = Math.max(...next.map(([left]) => left.length));
  process.stdout.write(
    `\nCreated apps/${name} (${pkg}), its chart values, SLO rules, dashboard, alert route, probe and compose services (infra/). Next:\n\n${next
      .map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)
      .join('\n')}\n`,
  );
}

let command: ReturnType<typeof parseGenAppArgs>;
try {
  command = parseGenAppArgs(process.argv.slice(2));
} catch (err) {
  command = fail(`${(err as Error).message}\n\n${USAGE}`, 2);
}

if (command.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

if (command.interactive) {
  if (!process.stdin.isTTY) fail(`no app name given\n\n${USAGE}`, 2);
  const before = new Set(appDirs());
  const status = turboGen([]);
  const [name, ...more] = appDirs().filter((dir) => !before.has(dir));
  if (status === 0 && name && more.length === 0) {
    printNextSteps(name, existsSync(join(root, 'node_modules', workspaceScope(root), name)));
  }
  process.exit(status);
}

let answers: ReturnType<typeof resolveAnswers>;
try {
  answers = resolveAnswers(command.input, root);
} catch (err) {
  if (!(err instanceof GeneratorError)) throw err;
  answers = fail(err.message, 1);
}

const status = turboGen(['--args', ...toPromptArgs(answers)]);
if (status !== 0) {
  const written = existsSync(join(root, `apps/${answers.name}`));
  fail(
    `the generator failed (see its output above)${written ? `; remove apps/${answers.name} and what it added under infra/ (git status lists it; git checkout -- infra restores the shared files) before trying again` : ''}`,
    status,
  );
}

printNextSteps(answers.name, answers.install);
