// api-contract: the checks an app's OpenAPI document passes in CI.
//
//   check [--base <git ref>]    lint every apps/*/openapi.json, and compare each with its
//                               version at the ref (default: API_BASE_REF, else HEAD)
//   lint <document>...          Spectral + OWASP ruleset (spectral.yaml); errors fail
//   pacts <document> <pact>...  every interaction of the pacts is allowed by the document
//   compat <before> <after>     breaking changes need a new release line (see compat.ts)
//
// Each check runs the real program (spectral, swagger-mock-validator) and exits 1 on a finding.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { compareDocuments, formatReport } from './compat.ts';

const TOOL_DIR = resolve(import.meta.dirname, '..');
const ROOT = resolve(TOOL_DIR, '../..');
export const RULESET = join(TOOL_DIR, 'spectral.yaml');

function bin(name: string): string {
  for (const dir of [join(TOOL_DIR, 'node_modules/.bin'), join(ROOT, 'node_modules/.bin')]) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} is not installed: run npm install at the repository root`);
}

export interface RunResult {
  status: number;
  output: string;
}

/** Runs one of the tools this package installs (spectral, swagger-mock-validator, openapi-typescript). */
export function runTool(name: string, args: string[]): RunResult {
  return run(bin(name), args);
}

function run(command: string, args: string[]): RunResult {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}`.trim() };
}

/** Spectral with our ruleset; status 0 when no finding is an error. */
export function lint(document: string): RunResult {
  return run(bin('spectral'), [
    'lint',
    document,
    '--ruleset',
    RULESET,
    '--fail-severity',
    'error',
    '--display-only-failures',
  ]);
}

/** swagger-mock-validator; status 0 when every interaction of `pact` matches `document`. */
export function validatePact(document: string, pact: string): RunResult {
  return run(bin('swagger-mock-validator'), [document, pact]);
}

/** Every app with a committed OpenAPI document: `apps/<name>/openapi.json`. */
export function appDocuments(root = ROOT): string[] {
  const apps = join(root, 'apps');
  return readdirSync(apps)
    .map((name) => join(apps, name, 'openapi.json'))
    .filter((file) => existsSync(file))
    .sort();
}

/** The file at a git ref, or undefined when it did not exist there. */
function atRef(ref: string, file: string): string | undefined {
  const path = relative(ROOT, file);
  const result = spawnSync('git', ['show', `${ref}:${path}`], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return result.status === 0 ? result.stdout : undefined;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function check(baseRef: string | undefined): number {
  // Without a git history (an exported tree) there is no baseline; an asked-for ref must exist.
  const inGit =
    spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: ROOT }).status === 0;
  const ref = baseRef ?? (inGit ? 'HEAD' : undefined);
  if (ref !== undefined) {
    const known = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      cwd: ROOT,
    });
    if (known.status !== 0) {
      console.error(
        `api-contract: ${ref} is not a commit here (a shallow clone needs fetch-depth: 0)`,
      );
      return 2;
    }
  }
  const documents = appDocuments();
  if (documents.length === 0) {
    console.error('no apps/*/openapi.json found');
    return 1;
  }
  let failed = 0;
  for (const document of documents) {
    const label = relative(ROOT, document);
    const linted = lint(document);
    console.log(`${label}: spectral (OWASP ruleset) ${linted.status === 0 ? 'passed' : 'FAILED'}`);
    if (linted.output) console.log(linted.output.replace(/^/gm, '  '));
    if (linted.status !== 0) failed++;
    if (ref === undefined) {
      console.log(`${label}: not in a git repository, so no compatibility baseline`);
      continue;
    }
    const base = atRef(ref, document);
    if (base === undefined) {
      console.log(`${label}: not in ${ref}, so no compatibility baseline (a new document)`);
      continue;
    }
    const report = compareDocuments(JSON.parse(base), readJson(document));
    console.log(formatReport(report, `${label} against ${ref}`));
    if (!report.ok) failed++;
  }
  return failed === 0 ? 0 : 1;
}

function main(argv: string[]): number {
  const [command, ...args] = argv;
  switch (command) {
    case 'check': {
      const at = args.indexOf('--base');
      if (at >= 0 && !args[at + 1]) throw new Error('--base needs a git ref');
      return check(at >= 0 ? args[at + 1] : process.env.API_BASE_REF || undefined);
    }
    case 'lint': {
      let status = 0;
      for (const document of args) {
        const result = lint(document);
        console.log(result.output);
        status ||= result.status;
      }
      return status;
    }
    case 'pacts': {
      const [document, ...pacts] = args;
      if (!document || pacts.length === 0) throw new Error('usage: pacts <document> <pact>...');
      let status = 0;
      for (const pact of pacts) {
        const result = validatePact(document, pact);
        console.log(`${pact}: ${result.status === 0 ? 'matches' : 'DOES NOT MATCH'} ${document}`);
        if (result.status !== 0) console.log(result.output);
        status ||= result.status;
      }
      return status;
    }
    case 'compat': {
      const [before, after] = args;
      if (!before || !after) throw new Error('usage: compat <before> <after>');
      const report = compareDocuments(readJson(before), readJson(after));
      console.log(formatReport(report, after));
      return report.ok ? 0 : 1;
    }
    default:
      console.error(
        'usage: api-contract check [--base <ref>] | lint <doc>... | pacts <doc> <pact>... | compat <before> <after>',
      );
      return 2;
  }
}

if (import.meta.main) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`api-contract: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  }
}
