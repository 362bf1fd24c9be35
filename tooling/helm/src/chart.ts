import { execFile, spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { HelmToolError } from './errors.ts';
import { type HelmMajor, helmBinary } from './helm-binary.ts';

/** Values of one release, in helm's own flags. Helm applies files first, then the --set flags. */
export interface ValuesOptions {
  /** `-f` files, in order (later files win). */
  valuesFiles?: readonly string[];
  /** `--set key=value` pairs. */
  set?: readonly string[];
  /** `--set-string key=value` pairs. */
  setString?: readonly string[];
  /** `--set-json key=<json>` pairs. */
  setJson?: readonly string[];
}

export interface HelmRunOptions extends ValuesOptions {
  /** Helm major version to run: 3 or 4. */
  major: HelmMajor;
  /** Path of the chart directory. */
  chart: string;
  /** Working directory of helm (relative values files resolve against it). */
  cwd?: string;
  /** Kill helm after this long. */
  timeoutMs?: number;
}

export interface TemplateOptions extends HelmRunOptions {
  /** Release name. */
  release?: string;
  /** Release namespace. */
  namespace?: string;
}

/** One object helm rendered, with the template it came from (`micro-app/templates/x.yaml`). */
export interface RenderedDocument {
  source: string;
  object: KubeObject;
}

/** A rendered Kubernetes object: apiVersion, kind and whatever else the template wrote. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** What a helm run returned: `ok` with its output, or not `ok` with helm's stderr. */
export type HelmResult<T> =
  | ({ ok: true; stderr: string; args: string[] } & T)
  | { ok: false; stderr: string; exitCode: number | null; args: string[] };

export type TemplateResult = HelmResult<{ documents: RenderedDocument[] }>;
export type LintResult = HelmResult<{ stdout: string }>;

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_PARALLEL = 2;

let running = 0;
const waiting: Array<() => void> = [];

/** At most {@link MAX_PARALLEL} helm processes of this module at a time (CI has 2 cores). */
async function limited<T>(run: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await run();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Helm's flags for {@link ValuesOptions}. */
export function valuesArgs(values: ValuesOptions): string[] {
  return [
    ...(values.valuesFiles ?? []).flatMap((file) => ['-f', file]),
    ...(values.setJson ?? []).flatMap((pair) => ['--set-json', pair]),
    ...(values.set ?? []).flatMap((pair) => ['--set', pair]),
    ...(values.setString ?? []).flatMap((pair) => ['--set-string', pair]),
  ];
}

interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

function runHelmSync(major: HelmMajor, args: string[], options: HelmRunOptions): Run {
  const run = spawnSync(helmBinary(major), args, {
    cwd: options.cwd,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (run.error) {
    throw new HelmToolError('ERR_HELM_SPAWN', `helm ${major} did not run: ${run.error.message}`, {
      cause: run.error,
    });
  }
  return { exitCode: run.status, stdout: run.stdout, stderr: run.stderr };
}

function runHelm(major: HelmMajor, args: string[], options: HelmRunOptions): Promise<Run> {
  const helm = helmBinary(major);
  return limited(
    () =>
      new Promise<Run>((resolve, reject) => {
        execFile(
          helm,
          args,
          {
            cwd: options.cwd,
            timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
            maxBuffer: 64 * 1024 * 1024,
          },
          (error, stdout, stderr) => {
            if (error && typeof error.code !== 'number') {
              reject(
                new HelmToolError('ERR_HELM_SPAWN', `helm ${major} did not run: ${error.message}`, {
                  cause: error,
                }),
              );
              return;
            }
            resolve({ exitCode: error ? (error.code as number) : 0, stdout, stderr });
          },
        );
      }),
  );
}

/**
 * `helm template`: renders the chart and parses every document with `yaml`.
 *
 * @param options.major - helm 3 or 4
 * @param options.chart - the chart directory
 * @param [options.release='release'] - release name
 * @param [options.namespace] - release namespace
 * @param [options.timeoutMs=60000] - kill helm after this long
 * @returns `{ ok: true, documents }`, or `{ ok: false, stderr }` when helm refused the values
 * @throws {HelmToolError} `ERR_HELM_SPAWN` when helm cannot start, `ERR_HELM_OUTPUT` when it
 *   printed something that is not YAML or not a Kubernetes object
 * @example
 * const result = await helmTemplate({ major: 4, chart: 'infra/helm/micro-app',
 *   valuesFiles: ['infra/helm/values/where2eat.yaml'], set: ['image.tag=1.2.3'] });
 * if (!result.ok) console.error(result.stderr);
 */
export async function helmTemplate(options: TemplateOptions): Promise<TemplateResult> {
  const args = templateArgs(options);
  return templateResult(args, await runHelm(options.major, args, options));
}

/**
 * {@link helmTemplate}, blocking: for callers that cannot await (a synchronous check).
 *
 * @throws {HelmToolError} as {@link helmTemplate}
 */
export function helmTemplateSync(options: TemplateOptions): TemplateResult {
  const args = templateArgs(options);
  return templateResult(args, runHelmSync(options.major, args, options));
}

function templateArgs(options: TemplateOptions): string[] {
  return [
    'template',
    options.release ?? 'release',
    options.chart,
    ...(options.namespace ? ['--namespace', options.namespace] : []),
    ...valuesArgs(options),
  ];
}

function templateResult(args: string[], run: Run): TemplateResult {
  if (run.exitCode !== 0) {
    return { ok: false, stderr: run.stderr, exitCode: run.exitCode, args };
  }
  return { ok: true, stderr: run.stderr, args, documents: parseRendered(run.stdout) };
}

/**
 * `helm lint --strict`: lint warnings fail, and a template that reads an undefined value fails.
 *
 * @param options - as {@link helmTemplate}, without release and namespace
 * @returns `{ ok: true, stdout }`, or `{ ok: false, stderr }` with helm's findings (stdout and
 *   stderr, since helm prints lint findings on stdout)
 * @throws {HelmToolError} `ERR_HELM_SPAWN` when helm cannot start
 */
export async function helmLint(options: HelmRunOptions): Promise<LintResult> {
  const args = ['lint', options.chart, '--strict', ...valuesArgs(options)];
  const run = await runHelm(options.major, args, options);
  if (run.exitCode !== 0) {
    return { ok: false, stderr: `${run.stdout}\n${run.stderr}`, exitCode: run.exitCode, args };
  }
  return { ok: true, stderr: run.stderr, args, stdout: run.stdout };
}

/** Helm's output as documents; empty documents (a template that rendered nothing) are dropped. */
export function parseRendered(output: string): RenderedDocument[] {
  const out: RenderedDocument[] = [];
  for (const doc of parseAllDocuments(output)) {
    const source = /Source: (\S+)/.exec(doc.commentBefore ?? '')?.[1] ?? '(unknown template)';
    if (doc.errors.length > 0) {
      throw new HelmToolError(
        'ERR_HELM_OUTPUT',
        `${source} rendered invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`,
      );
    }
    const object: unknown = doc.toJS();
    if (object === null || object === undefined) continue;
    if (
      typeof object !== 'object' ||
      Array.isArray(object) ||
      typeof (object as KubeObject).apiVersion !== 'string' ||
      typeof (object as KubeObject).kind !== 'string'
    ) {
      throw new HelmToolError(
        'ERR_HELM_OUTPUT',
        `${source} rendered something that is not a Kubernetes object (no apiVersion and kind)`,
      );
    }
    out.push({ source, object: object as KubeObject });
  }
  return out;
}
