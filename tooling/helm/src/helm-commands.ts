import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ValuesOptions } from './chart.ts';
import { literal, type SimpleCommand, splitCommands, type Word } from './shell-words.ts';

/** The helm subcommands that take a chart and values. */
export type ChartSubcommand = 'template' | 'lint' | 'install' | 'upgrade';

/** One helm command line of a workflow or a doc, with its values resolved. */
export interface HelmCommand extends Required<ValuesOptions> {
  /** Where it is written: `.github/workflows/ci.yml jobs.chart "helm lint"`, `docs/deploy.md:140`. */
  origin: string;
  /** The command as written (continuation lines joined). */
  text: string;
  subcommand: ChartSubcommand;
  release: string | undefined;
  /** Chart path, relative to the repository root. */
  chart: string;
  /** `pass`, or `fail` for a command a script runs to prove helm refuses it (`if helm …; then exit 1`). */
  expect: 'pass' | 'fail';
  /** Loop and matrix values this instance was expanded with (`{ bad: 'image.tag=latest' }`). */
  bindings: Record<string, string>;
}

/** A helm command whose chart or values could not be worked out, and why. */
export interface UnresolvedCommand {
  origin: string;
  text: string;
  reason: string;
}

export interface FoundCommands {
  commands: HelmCommand[];
  unresolved: UnresolvedCommand[];
  /** Helm commands that are not about a chart of this repository (other charts, `helm test`). */
  skipped: UnresolvedCommand[];
}

export interface ResolveOptions {
  /** Repository root: charts and values files are relative to it, as in CI. */
  root: string;
  /** Values of variables the runner provides (`GITHUB_SHA`), standing in for the real ones. */
  variables?: Readonly<Record<string, string>>;
  /** Stand-ins for `${{ … }}` expressions, by their text (`vars.STAGING_DOMAIN`). */
  expressions?: Readonly<Record<string, string>>;
  /** Stand-ins for doc placeholders, by their name without brackets (`digest` for `<digest>`). */
  placeholders?: Readonly<Record<string, string>>;
  /** What `${{ matrix.x }}` stands for when the job does not list x literally (app names). */
  matrixFallback?: readonly string[];
}

const VALUE_FLAGS = new Set([
  '-f',
  '--values',
  '--set',
  '--set-string',
  '--set-json',
  '--set-file',
  '--set-literal',
  '-n',
  '--namespace',
  '--timeout',
  '--version',
  '--kube-context',
  '--kubeconfig',
  '--description',
  '--post-renderer',
  '--post-renderer-args',
  '--repo',
  '-o',
  '--output',
  '--output-dir',
  '-a',
  '--api-versions',
  '--kube-version',
  '-s',
  '--show-only',
  '--history-max',
  '--max',
  '-l',
  '--labels',
  '--name-template',
  '--username',
  '--password',
  '--ca-file',
  '--cert-file',
  '--key-file',
  '--keyring',
  '--registry-config',
  '--repository-cache',
  '--repository-config',
  '--burst-limit',
  '--qps',
]);
const SUBCOMMANDS = new Set<string>(['template', 'lint', 'install', 'upgrade']);

class Unresolvable extends Error {}

/** Marks, in a substituted script, an expression without a stand-in (private-use characters). */
const OPEN = '\u{E000}';
const CLOSE = '\u{E001}';
const MARKED = /\u{E000}(.*?)\u{E001}/u;

/** Every `${{ expr }}` in a text. */
const EXPRESSION = /\$\{\{\s*(.*?)\s*\}\}/g;

interface Scope {
  origin: string;
  env: Record<string, string>;
  matrix: Record<string, unknown>;
}

function cartesian(choices: Array<[string, readonly string[]]>): Array<Record<string, string>> {
  let out: Array<Record<string, string>> = [{}];
  for (const [name, values] of choices) {
    out = out.flatMap((binding) => values.map((value) => ({ ...binding, [name]: value })));
  }
  return out;
}

/** The helm commands of one GitHub Actions workflow file, from every step's `run` script. */
export function workflowHelmCommands(
  file: string,
  text: string,
  options: ResolveOptions,
): FoundCommands {
  const found: FoundCommands = { commands: [], unresolved: [], skipped: [] };
  const workflow = parse(text) as {
    env?: Record<string, unknown>;
    jobs?: Record<string, unknown>;
  } | null;
  const toEnv = (env: unknown): Record<string, string> =>
    Object.fromEntries(Object.entries((env ?? {}) as object).map(([k, v]) => [k, String(v)]));
  for (const [jobId, jobValue] of Object.entries(workflow?.jobs ?? {})) {
    const job = (jobValue ?? {}) as {
      env?: unknown;
      steps?: unknown[];
      strategy?: { matrix?: unknown };
    };
    const matrix =
      typeof job.strategy?.matrix === 'object' && job.strategy.matrix !== null
        ? (job.strategy.matrix as Record<string, unknown>)
        : {};
    for (const [index, stepValue] of (job.steps ?? []).entries()) {
      const step = (stepValue ?? {}) as { name?: string; run?: unknown; env?: unknown };
      if (typeof step.run !== 'string' || !/\bhelm\b/.test(step.run)) continue;
      const scope: Scope = {
        origin: `${file} jobs.${jobId} ${step.name ? `"${step.name}"` : `steps[${index}]`}`,
        env: { ...toEnv(workflow?.env), ...toEnv(job.env), ...toEnv(step.env) },
        matrix,
      };
      scriptCommands(step.run, scope, options, found);
    }
  }
  return found;
}

/** The helm commands of a Markdown file: fenced code blocks and inline code spans. */
export function markdownHelmCommands(
  file: string,
  text: string,
  options: ResolveOptions,
): FoundCommands {
  const found: FoundCommands = { commands: [], unresolved: [], skipped: [] };
  const lineOf = (offset: number): number => text.slice(0, offset).split('\n').length;
  const snippets: Array<[number, string]> = [];
  const fenced = /^( {0,3})(`{3,}|~{3,})([^\n]*)\n([\s\S]*?)^\1\2[ \t]*$/gm;
  let rest = text;
  for (const m of text.matchAll(fenced)) {
    const lang = (m[3] ?? '').trim().split(/\s/)[0] ?? '';
    if (['', 'sh', 'bash', 'shell', 'console', 'zsh'].includes(lang)) {
      const body = (m[4] ?? '').replace(/^\$ /gm, '');
      snippets.push([lineOf((m.index ?? 0) + (m[0].indexOf('\n') + 1)), body]);
    }
    rest = rest.replace(m[0], (s) => s.replace(/[^\n]/g, ' '));
  }
  for (const m of rest.matchAll(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g)) {
    if (/^\s*helm\s/.test(m[2] ?? '')) snippets.push([lineOf(m.index ?? 0), m[2] ?? '']);
  }
  for (const [line, snippet] of snippets) {
    // Placeholders such as <digest> are not shell: replace them before the shell reads `<`.
    const unknown: string[] = [];
    const script = snippet.replace(/<([a-z][a-z0-9 _-]*)>/gi, (all, name: string) => {
      const value = options.placeholders?.[name];
      if (value === undefined) unknown.push(all);
      return value ?? all.replace(/[<>]/g, '_');
    });
    const scope: Scope = { origin: `${file}:${line}`, env: {}, matrix: {} };
    const before = found.commands.length + found.unresolved.length;
    scriptCommands(script, scope, options, found);
    if (unknown.length > 0) {
      // Only the commands of this snippet that use the placeholder are in doubt.
      for (const command of found.commands.splice(before)) {
        const uses = unknown.filter((p) => snippet.includes(p));
        found.unresolved.push({
          origin: command.origin,
          text: command.text,
          reason: `unknown placeholder ${uses.join(', ')} (add it to the placeholders)`,
        });
      }
    }
  }
  return found;
}

function scriptCommands(
  script: string,
  scope: Scope,
  options: ResolveOptions,
  found: FoundCommands,
): void {
  // GitHub replaces ${{ … }} before bash runs; matrix values multiply the script.
  const matrixNames = new Set<string>();
  for (const source of [script, ...Object.values(scope.env)]) {
    for (const m of source.matchAll(EXPRESSION)) {
      const name = /^matrix\.([A-Za-z0-9_-]+)$/.exec(m[1] ?? '')?.[1];
      if (name) matrixNames.add(name);
    }
  }
  const choices: Array<[string, readonly string[]]> = [];
  for (const name of matrixNames) {
    const listed = scope.matrix[name];
    if (Array.isArray(listed) && listed.every((v) => typeof v !== 'object')) {
      choices.push([`matrix.${name}`, listed.map(String)]);
    } else if (options.matrixFallback && options.matrixFallback.length > 0) {
      choices.push([`matrix.${name}`, options.matrixFallback]);
    } else {
      found.unresolved.push({
        origin: scope.origin,
        text: script.trim().split('\n')[0] ?? '',
        reason: `\${{ matrix.${name} }} is not a literal list in the job and no fallback is given`,
      });
      return;
    }
  }
  for (const matrix of cartesian(choices)) {
    const substitute = (source: string): string =>
      source.replace(EXPRESSION, (_all, expr: string) => {
        if (expr.startsWith('matrix.') && matrix[expr] !== undefined) return matrix[expr];
        const value = options.expressions?.[expr];
        // Left in place: only an error if a helm argument that matters uses it.
        return value ?? `${OPEN}${expr}${CLOSE}`;
      });
    const env = Object.fromEntries(Object.entries(scope.env).map(([k, v]) => [k, substitute(v)]));
    const commands = splitCommands(substitute(script));
    commandsOf(commands, { ...scope, env }, options, matrix, found);
  }
}

function commandsOf(
  commands: SimpleCommand[],
  scope: Scope,
  options: ResolveOptions,
  matrix: Record<string, string>,
  found: FoundCommands,
): void {
  const loops: Record<string, string[]> = {};
  for (const [index, command] of commands.entries()) {
    const head = literal(command.words[0]);
    if (head === 'for' && literal(command.words[2]) === 'in') {
      const name = literal(command.words[1]) ?? '';
      loops[name] = command.words
        .slice(3)
        .map((w) => literal(w) ?? `${OPEN}a computed loop word${CLOSE}`);
      continue;
    }
    if (head !== 'helm') continue;
    let expect: 'pass' | 'fail' = 'pass';
    const negated = command.keywords.includes('!');
    if (command.keywords.some((k) => k === 'if' || k === 'elif') && !negated) {
      // `if helm …; then …; exit 1; fi`: the script proves helm refuses this.
      const branch: SimpleCommand[] = [];
      for (const next of commands.slice(index + 1)) {
        if (next.keywords.some((k) => ['fi', 'else', 'elif'].includes(k))) break;
        branch.push(next);
      }
      const exits = branch.some(
        (c) => literal(c.words[0]) === 'exit' && !['', '0'].includes(literal(c.words[1]) ?? ''),
      );
      if (!exits) {
        found.unresolved.push({
          origin: scope.origin,
          text: command.text,
          reason: 'an `if helm …` whose then-branch does not exit non-zero: pass or fail?',
        });
        continue;
      }
      expect = 'fail';
    }
    parseHelm(command, scope, options, { matrix, loops, expect }, found);
  }
}

function parseHelm(
  command: SimpleCommand,
  scope: Scope,
  options: ResolveOptions,
  context: {
    matrix: Record<string, string>;
    loops: Record<string, string[]>;
    expect: 'pass' | 'fail';
  },
  found: FoundCommands,
): void {
  const words = command.words.slice(1);
  const problem = (list: UnresolvedCommand[], reason: string): void => {
    list.push({ origin: scope.origin, text: command.text, reason });
  };
  // Loop variables the command uses multiply it; everything else resolves to one string.
  const loopNames = new Set<string>();
  for (const word of words) {
    for (const part of word) if ('var' in part && context.loops[part.var]) loopNames.add(part.var);
  }
  const instances = cartesian([...loopNames].map((n) => [n, context.loops[n] ?? []]));
  for (const loop of instances) {
    const resolve = (word: Word): string =>
      word
        .map((part) => {
          if ('lit' in part) {
            const expr = MARKED.exec(part.lit)?.[1];
            if (expr !== undefined) throw new Unresolvable(`no stand-in for \${{ ${expr} }}`);
            return part.lit;
          }
          if ('cmd' in part) throw new Unresolvable(`$(${part.cmd}) is computed at run time`);
          const name = part.var;
          const value = loop[name] ?? scope.env[name] ?? options.variables?.[name];
          if (value === undefined) throw new Unresolvable(`$${name} is defined nowhere`);
          const expr = MARKED.exec(value)?.[1];
          if (expr !== undefined) {
            throw new Unresolvable(`$${name} is \${{ ${expr} }}, which has no stand-in`);
          }
          return value;
        })
        .join('');
    try {
      const values: { [K in keyof ValuesOptions]-?: string[] } = {
        valuesFiles: [],
        set: [],
        setString: [],
        setJson: [],
      };
      const positional: string[] = [];
      let subcommand: string | undefined;
      for (let i = 0; i < words.length; i++) {
        const word = words[i] as Word;
        const flag = literal(word);
        if (flag?.startsWith('-')) {
          const eq = flag.indexOf('=');
          const name = eq > 0 ? flag.slice(0, eq) : flag;
          if (!VALUE_FLAGS.has(name)) continue;
          let valueWord: Word;
          if (eq > 0) valueWord = [{ lit: flag.slice(eq + 1) }];
          else {
            const next = words[++i];
            if (!next) throw new Unresolvable(`${name} without a value`);
            valueWord = next;
          }
          if (name === '--set-file' || name === '--set-literal') {
            throw new Unresolvable(`${name} is not supported by the checks`);
          }
          const target: string[] | undefined = {
            '-f': values.valuesFiles,
            '--values': values.valuesFiles,
            '--set': values.set,
            '--set-string': values.setString,
            '--set-json': values.setJson,
          }[name];
          // Values of flags the checks do not use (-n, --timeout) need not resolve.
          if (target) target.push(resolve(valueWord));
          continue;
        }
        if (subcommand === undefined) subcommand = resolve(word);
        else positional.push(resolve(word));
      }
      if (subcommand === undefined || !SUBCOMMANDS.has(subcommand)) {
        problem(found.skipped, `helm ${subcommand ?? ''} takes no values`);
        return;
      }
      const chart = subcommand === 'lint' ? positional[0] : positional[positional.length - 1];
      const release = subcommand === 'lint' || positional.length < 2 ? undefined : positional[0];
      if (positional.length > (subcommand === 'lint' ? 1 : 2)) {
        throw new Unresolvable(`more arguments than [release] chart: ${positional.join(' ')}`);
      }
      if (chart === undefined) {
        problem(found.skipped, 'names no chart');
        return;
      }
      const local =
        /^\.{0,2}\//.test(chart) || existsSync(join(options.root, chart.split('/')[0] ?? ''));
      if (!local) {
        problem(found.skipped, `${chart} is not a chart of this repository`);
        return;
      }
      if (!existsSync(join(options.root, chart, 'Chart.yaml'))) {
        throw new Unresolvable(`${chart} has no Chart.yaml`);
      }
      found.commands.push({
        origin: scope.origin,
        text: command.text,
        subcommand: subcommand as ChartSubcommand,
        release,
        chart,
        ...values,
        expect: context.expect,
        bindings: { ...context.matrix, ...loop },
      });
    } catch (error) {
      if (!(error instanceof Unresolvable)) throw error;
      problem(found.unresolved, error.message);
    }
  }
}
