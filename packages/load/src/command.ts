import { parseArgs } from 'node:util';
import {
  formatStage,
  formatVerdict,
  type LoadRequest,
  loopbackUrl,
  runLoad,
  type Scenario,
  type Stage,
  type Thresholds,
  verdicts,
} from './run-load.js';

/** What the app's `start` and `prepare` get. */
export interface LoadContext {
  /** The scenario being run. */
  scenario: string;
  /** The values of the app's own `flags` (`--idp-url …`), undefined when not given. */
  flags: Readonly<Record<string, string | undefined>>;
  /** Prints a line, unless `--json` asked for the result only. */
  log: (line: string) => void;
}

/** What `start` started: where it listens, and how to stop it. */
export interface StartedTarget {
  baseUrl: string;
  stop?: () => Promise<void>;
}

/** What `prepare` made ready: the request mix, its headers, and how to undo the setup. */
export interface LoadPlan {
  requests: readonly LoadRequest[];
  headers?: Record<string, string>;
  cleanup?: () => Promise<void>;
}

/** Options of {@link runLoadCommand}. */
export interface LoadCommandOptions<S extends StartedTarget = StartedTarget> {
  /** The command-line arguments, e.g. `process.argv.slice(2)`. */
  argv: readonly string[];
  /** The scenarios the first argument names. */
  scenarios: Readonly<Record<string, Scenario>>;
  /** The scenario without an argument. Default: the first of `scenarios`. */
  defaultScenario?: string;
  thresholds: Thresholds;
  /** More `--<flag> <value>` options the app reads, e.g. `['idp-url']`. */
  flags?: readonly string[];
  /** Starts what to load when no `--base-url` is given (the app, an IdP). */
  start?: (context: LoadContext) => Promise<S>;
  /** Gets a token and makes the data the requests read, against the target. */
  prepare: (
    context: LoadContext & { baseUrl: string; started: S | undefined },
  ) => Promise<LoadPlan>;
  /** The command in the usage line. Default `npm run load --`. */
  command?: string;
  /** Request timeout in seconds (see `runLoad`). Default `10`. */
  timeoutSeconds?: number;
  /** Where report lines go. Default `console.log`. */
  out?: (line: string) => void;
  /** Where usage and failures go. Default `console.error`. */
  err?: (line: string) => void;
}

/**
 * `npm run load -- [scenario] [--base-url URL] [--seconds N] [--json]` for an app: runs the
 * scenario with {@link runLoad} against `--base-url` (loopback only) or what `start` starts,
 * prints a line per stage and per threshold (or, with `--json`, the result as JSON), and
 * resolves to the exit code: 0 when every threshold holds, 1 when one is broken or the run
 * failed, 2 for a usage error. `--seconds N` cuts each stage to at most N seconds, rates kept.
 * Whatever `start` started is stopped, and `prepare`'s cleanup run, before it resolves.
 */
export async function runLoadCommand<S extends StartedTarget>(
  options: LoadCommandOptions<S>,
): Promise<number> {
  const out = options.out ?? console.log;
  const err = options.err ?? console.error;
  const names = Object.keys(options.scenarios);
  const appFlags = options.flags ?? [];
  const usage = (message: string) => {
    const extra = appFlags.map((flag) => ` [--${flag} ${flag.toUpperCase().replace(/\W/g, '_')}]`);
    err(
      `${message}\nusage: ${options.command ?? 'npm run load --'} [${names.join('|')}] [--base-url URL]${extra.join('')} [--seconds N] [--json]`,
    );
    return 2;
  };

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...options.argv],
      allowPositionals: true,
      strict: true,
      options: {
        'base-url': { type: 'string' },
        seconds: { type: 'string' },
        json: { type: 'boolean', default: false },
        ...Object.fromEntries(appFlags.map((flag) => [flag, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) return usage(`one scenario expected, got ${positionals.join(' ')}`);
  const name = positionals[0] ?? options.defaultScenario ?? names[0] ?? '';
  if (!Object.hasOwn(options.scenarios, name)) return usage(`unknown scenario "${name}"`);
  const scenario = options.scenarios[name] as Scenario;
  let stages: readonly Stage[] = scenario.stages;
  if (values.seconds !== undefined) {
    const max = Number(values.seconds);
    if (!(Number.isInteger(max) && max >= 1)) {
      return usage(`--seconds must be a whole number of seconds, got "${String(values.seconds)}"`);
    }
    stages = stages.map((stage) => ({ ...stage, seconds: Math.min(stage.seconds, max) }));
  }
  const json = values.json === true;
  const log = (line: string) => {
    if (!json) out(line);
  };
  const flags = Object.fromEntries(
    appFlags.map((flag) => [flag, typeof values[flag] === 'string' ? values[flag] : undefined]),
  );
  const context: LoadContext = { scenario: name, flags, log };
  const given = typeof values['base-url'] === 'string' ? values['base-url'] : undefined;
  if (given === undefined && !options.start) return usage('--base-url is required');

  let started: S | undefined;
  let plan: LoadPlan | undefined;
  try {
    let baseUrl: string;
    if (given !== undefined) {
      baseUrl = loopbackUrl(given).origin;
    } else {
      started = await (options.start as NonNullable<typeof options.start>)(context);
      baseUrl = started.baseUrl;
    }
    plan = await options.prepare({ ...context, baseUrl, started });
    const seconds = stages.reduce((sum, s) => sum + s.seconds, 0);
    log(`${name}: ${scenario.description} (${seconds} s against ${baseUrl})`);
    const result = await runLoad({
      baseUrl,
      stages,
      requests: plan.requests,
      ...(plan.headers ? { headers: plan.headers } : {}),
      ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
      onStage: (stage) => log(formatStage(stage)),
    });
    const checks = verdicts(result, options.thresholds);
    if (json) out(JSON.stringify({ scenario: name, ...result, thresholds: checks }, null, 2));
    else for (const check of checks) log(formatVerdict(check));
    return checks.every((check) => check.ok) ? 0 : 1;
  } catch (error) {
    err(`load run failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await plan?.cleanup?.().catch(() => {});
    await started?.stop?.().catch(() => {});
  }
}
