import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execForm, parseDockerfile } from '@micro-app/dockerfile-tool';
import { lintDockerfile } from '@micro-app/dockerfile-tool/rules';
import { APP_ID_ANNOTATION, CATALOG_FILE, COST_CENTER_ANNOTATION, isMap, pick } from './apps.js';
import { lineAt, listFiles } from './files.js';
import { fail, pass } from './result.js';
import { type AppInfo, type CheckResult, LIFECYCLES } from './types.js';

function read(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `@scope` of the app's package name (the workspace scope survives a rename), if it has one. */
function workspaceScope(app: AppInfo): string | undefined {
  const name = pick(readJson(join(app.dir, 'package.json')), 'name');
  return typeof name === 'string' ? /^(@[^/]+)\//.exec(name)?.[1] : undefined;
}

/**
 * Catalog metadata complete: a Backstage `Component` whose name is the folder, with a
 * description, type, owner, system, a known lifecycle and the app-id and cost-center annotations.
 */
export function checkCatalog(app: AppInfo): CheckResult {
  const file = `${app.relDir}/${CATALOG_FILE}`;
  if (app.catalogError) return fail('catalog', app.catalogError, file);
  const c = app.catalog;
  const problems: string[] = [];
  const text = (path: string): string | undefined => {
    const v = pick(c, path);
    return typeof v === 'string' && v.trim() !== '' ? v : undefined;
  };
  if (!text('apiVersion')?.startsWith('backstage.io/')) problems.push('apiVersion backstage.io/*');
  if (text('kind') !== 'Component') problems.push('kind Component');
  const name = text('metadata.name');
  if (!name) problems.push('metadata.name');
  else if (name !== app.name)
    problems.push(`metadata.name "${name}" is not the folder "${app.name}"`);
  for (const path of ['metadata.description', 'spec.type', 'spec.owner', 'spec.system']) {
    if (!text(path)) problems.push(path);
  }
  const lifecycle = pick(c, 'spec.lifecycle');
  if (!app.lifecycle) {
    problems.push(
      `spec.lifecycle ${lifecycle === undefined ? 'missing' : `"${String(lifecycle)}"`} (one of ${LIFECYCLES.join(', ')})`,
    );
  }
  const annotations = pick(c, 'metadata.annotations');
  for (const key of [APP_ID_ANNOTATION, COST_CENTER_ANNOTATION]) {
    const v = isMap(annotations) ? annotations[key] : undefined;
    if (typeof v !== 'string' || v.trim() === '') problems.push(`annotation ${key}`);
  }
  if (problems.length > 0) return fail('catalog', `missing or wrong: ${problems.join('; ')}`, file);
  return pass(
    'catalog',
    `${String(pick(c, 'spec.owner'))}, ${app.lifecycle}, ${String(pick(c, 'spec.system'))}, cost center ${String(pick(c, `metadata.annotations.${COST_CENTER_ANNOTATION}`))}`,
    file,
  );
}

/** True when argv loads a module named like `instrumentation` through `--import`. */
function importsInstrumentation(argv: readonly string[]): boolean {
  return argv.some(
    (arg, i) =>
      (arg === '--import' && /instrumentation/.test(argv[i + 1] ?? '')) ||
      /^--import=.*instrumentation/.test(arg),
  );
}

/**
 * Telemetry bootstrap present: `src/instrumentation.ts` imports the workspace's telemetry package
 * and starts it, and both `npm start` and the image's CMD load it with `node --import`.
 */
export function checkTelemetry(app: AppInfo): CheckResult {
  const instrumentation = `${app.relDir}/src/instrumentation.ts`;
  const source = read(join(app.dir, 'src/instrumentation.ts'));
  if (source === undefined) return fail('telemetry', `${instrumentation} is missing`);
  const scope = workspaceScope(app);
  const pkg = `${scope ?? '@<scope>'}/telemetry`;
  const escaped = scope ? scope.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : '@[^/\'"]+';
  // Either the telemetry package itself, or the app skeleton's entry that starts it from the
  // shared variables.
  const direct = new RegExp(`from\\s+['"]${escaped}/telemetry['"]`).test(source);
  const viaService = new RegExp(`from\\s+['"]${escaped}/service/telemetry['"]`).test(source);
  if (!direct && !viaService) {
    return fail(
      'telemetry',
      `does not import ${pkg} (or ${pkg.replace(/telemetry$/, 'service/telemetry')})`,
      instrumentation,
    );
  }
  const starts = direct ? /\bstartTelemetry\s*\(/ : /\bstartServiceTelemetry\s*\(/;
  if (!starts.test(source)) {
    const fn = direct ? 'startTelemetry()' : 'startServiceTelemetry()';
    return fail('telemetry', `does not call ${fn}`, instrumentation);
  }
  const start = pick(readJson(join(app.dir, 'package.json')), 'scripts.start');
  if (typeof start !== 'string' || !importsInstrumentation(start.split(/\s+/))) {
    return fail(
      'telemetry',
      'the "start" script does not load the instrumentation with node --import',
      `${app.relDir}/package.json`,
    );
  }
  const dockerfile = read(join(app.dir, 'Dockerfile'));
  if (dockerfile !== undefined) {
    const file = `${app.relDir}/Dockerfile`;
    let stage: ReturnType<typeof parseDockerfile>['stages'][number] | undefined;
    try {
      stage = parseDockerfile(dockerfile).stages.at(-1);
    } catch (err) {
      return fail('telemetry', `Dockerfile does not parse: ${(err as Error).message}`, file);
    }
    const startIns =
      stage?.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1) ??
      stage?.instructions.filter((i) => i.keyword === 'CMD').at(-1);
    const argv = startIns ? (execForm(startIns.args) ?? startIns.args.split(/\s+/)) : [];
    if (!importsInstrumentation(argv)) {
      return fail(
        'telemetry',
        "the image's CMD does not load the instrumentation with node --import",
        file,
        startIns?.line,
      );
    }
  }
  return pass('telemetry', `${pkg} started from src/instrumentation.ts via --import`);
}

/** Dockerfile non-root: the final stage runs as a USER other than root/0 and has a HEALTHCHECK. */
export function checkDockerfile(app: AppInfo): CheckResult {
  const file = `${app.relDir}/Dockerfile`;
  const text = read(join(app.dir, 'Dockerfile'));
  if (text === undefined) return fail('dockerfile', `${file} is missing`);
  let findings: ReturnType<typeof lintDockerfile>;
  try {
    findings = lintDockerfile(text).filter(
      (f) => f.rule === 'non-root-user' || f.rule === 'healthcheck',
    );
  } catch (err) {
    return fail('dockerfile', `does not parse: ${(err as Error).message}`, file);
  }
  const first = findings[0];
  if (first) {
    return fail('dockerfile', findings.map((f) => f.message).join('; '), file, first.line);
  }
  const user = parseDockerfile(text)
    .stages.at(-1)
    ?.instructions.filter((i) => i.keyword === 'USER')
    .at(-1)?.args;
  return pass('dockerfile', `runs as USER ${user}, HEALTHCHECK probes /health/live`, file);
}

const PACT_IMPORT = /from\s+['"]@pact-foundation\/pact(?:\/[^'"]*)?['"]/;
const PACT_USE =
  /\bnew\s+(Verifier|PactV3|PactV4|Pact|MessageProviderPact|MessageConsumerPact)\s*\(/;

/**
 * Contract tests: a test file in the app that imports `@pact-foundation/pact` and uses it
 * (`new Verifier(…)` for a provider, `new PactV3(…)`/`new PactV4(…)` for a consumer), with the package declared.
 */
export function checkContractTests(app: AppInfo): CheckResult {
  const tests = listFiles(app.dir).filter((f) => /\.test\.[cm]?[jt]s$/.test(f));
  const pactTests = tests.filter((f) => {
    const text = readFileSync(join(app.dir, f), 'utf8');
    return PACT_IMPORT.test(text) && PACT_USE.test(text);
  });
  const named = tests.filter((f) => /\.pact\.test\.[cm]?[jt]s$/.test(f));
  if (pactTests.length === 0) {
    const hollow = named[0];
    return hollow
      ? fail(
          'contract-tests',
          'this pact test never uses @pact-foundation/pact',
          `${app.relDir}/${hollow}`,
        )
      : fail('contract-tests', 'no test uses @pact-foundation/pact (no *.pact.test.ts)');
  }
  const pkg = readJson(join(app.dir, 'package.json'));
  const declared = ['dependencies', 'devDependencies'].some((k) =>
    isMap(pick(pkg, k)) ? '@pact-foundation/pact' in (pick(pkg, k) as object) : false,
  );
  if (!declared) {
    return fail(
      'contract-tests',
      '@pact-foundation/pact is not in package.json',
      `${app.relDir}/package.json`,
    );
  }
  return pass('contract-tests', pactTests.join(', '));
}

/** Section headings a runbook must have, each matched by any of the words given. */
export const RUNBOOK_SECTIONS: ReadonlyArray<{ readonly topic: string; readonly pattern: RegExp }> =
  [
    { topic: 'alerts', pattern: /alert/i },
    { topic: 'rollback', pattern: /roll\s*-?back|rollback/i },
    { topic: 'dependencies', pattern: /dependenc/i },
  ];

const MARKER = /\b(TODO|TBD|FIXME|XXX)\b/;

/**
 * Runbook filled: `docs/runbook.md` exists, carries no TODO/TBD/FIXME/XXX marker, has the
 * sections in {@link RUNBOOK_SECTIONS}, and no section heading stands over an empty body.
 */
export function checkRunbook(app: AppInfo): CheckResult {
  const file = `${app.relDir}/docs/runbook.md`;
  const text = read(join(app.dir, 'docs/runbook.md'));
  if (text === undefined) return fail('runbook', `${file} is missing`);
  const marker = MARKER.exec(text);
  if (marker) {
    const count = text.split('\n').filter((l) => MARKER.test(l)).length;
    return fail(
      'runbook',
      `${count} line(s) still marked ${marker[1]}`,
      file,
      lineAt(text, marker.index),
    );
  }
  const lines = text.split('\n');
  const headings = lines
    .map((l, i) => ({ match: /^(#{2,6})\s+(.+?)\s*#*\s*$/.exec(l), line: i + 1 }))
    .filter((h) => h.match)
    .map((h) => ({ level: h.match?.[1]?.length ?? 0, title: h.match?.[2] ?? '', line: h.line }));
  const missing = RUNBOOK_SECTIONS.filter((s) => !headings.some((h) => s.pattern.test(h.title)));
  if (missing.length > 0) {
    return fail('runbook', `no section on ${missing.map((s) => s.topic).join(', ')}`, file);
  }
  for (const [i, h] of headings.entries()) {
    const next = headings[i + 1];
    // A heading followed directly by a deeper one has its content below; an empty leaf does not.
    if (next && next.level > h.level) continue;
    const body = lines.slice(h.line, next ? next.line - 1 : lines.length).join('\n');
    if (body.trim() === '') return fail('runbook', `section "${h.title}" is empty`, file, h.line);
  }
  return pass('runbook', `${headings.length} sections, no TODO left`, file);
}
