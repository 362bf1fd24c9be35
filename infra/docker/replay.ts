import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { basename, dirname, join, matchesGlob, posix, relative } from 'node:path';
import {
  argDeclaration,
  envPairs,
  execForm,
  flagValue,
  type Instruction,
  parseDockerfile,
  type Stage,
  substitute,
} from './dockerfile.js';

/** Options of {@link replayDockerfile}. */
export interface ReplayOptions {
  /** Path of the Dockerfile. */
  readonly dockerfile: string;
  /** The build context (the repository root); its `.dockerignore` is honoured. */
  readonly context: string;
  /** An empty folder that receives one sub-folder per stage, standing for that stage's `/`. */
  readonly workDir: string;
  /** `--build-arg` values. */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** Environment every RUN step inherits (PATH, HOME …); stage ENV and ARG values go on top. */
  readonly hostEnv: Readonly<Record<string, string | undefined>>;
  /** Milliseconds one RUN step may take. */
  readonly stepTimeoutMs: number;
  /** Receives one line per instruction replayed. */
  readonly log?: (line: string) => void;
}

/** What the final stage would run, mapped onto the host. */
export interface ReplayResult {
  /** Host folder standing for the final stage's `/`. */
  readonly root: string;
  /** Host folder of the final WORKDIR. */
  readonly cwd: string;
  /** ENV of the final stage. */
  readonly env: Readonly<Record<string, string>>;
  /** CMD (or ENTRYPOINT + CMD) in exec form. */
  readonly command: readonly string[];
  /** HEALTHCHECK CMD in exec form, if any. */
  readonly healthcheck: readonly string[] | undefined;
  /** RUN steps of the final stage, not replayed: they change the base image only. */
  readonly skippedRuns: readonly string[];
}

/**
 * Replays a multi-stage Dockerfile on the host: each stage gets a folder that stands for its
 * filesystem root, COPY copies (from the context, honouring .dockerignore, or from an earlier
 * stage), WORKDIR/ENV/ARG set the state, and RUN runs with `sh -c` in the mapped WORKDIR.
 * RUN steps of the final stage are not run (they act on the base image: removing npm, creating
 * folders) and are returned instead. External base images are taken to be the host itself, so
 * the host must have the same Node.js major version.
 * @throws Error when a RUN step fails or a COPY source is missing
 */
export function replayDockerfile(options: ReplayOptions): ReplayResult {
  const df = parseDockerfile(readFileSync(options.dockerfile, 'utf8'));
  const log = options.log ?? (() => undefined);
  const ignore = readDockerignore(options.context);
  const globals: Record<string, string | undefined> = {};
  for (const ins of df.globalArgs) {
    const { name, value } = argDeclaration(ins);
    globals[name] = options.buildArgs?.[name] ?? value;
  }

  const roots = new Map<string, string>();
  const envs = new Map<string, Record<string, string>>();
  const workdirs = new Map<string, string>();
  let result: ReplayResult | undefined;

  df.stages.forEach((stage, index) => {
    const key = stage.name ?? String(stage.index);
    const root = join(options.workDir, `stage-${index}-${key}`);
    const parent = stage.from.toLowerCase();
    const isFinal = index === df.stages.length - 1;
    let env: Record<string, string> = {};
    let workdir = '/';
    const parentRoot = roots.get(parent);
    if (parentRoot) {
      if (isReferencedLater(df.stages, index, parent)) {
        cpSync(parentRoot, root, { recursive: true, verbatimSymlinks: true });
      } else {
        renameSync(parentRoot, root);
      }
      env = { ...envs.get(parent) };
      workdir = workdirs.get(parent) ?? '/';
    } else {
      mkdirSync(root, { recursive: true });
    }
    log(`stage ${key} FROM ${stage.from}`);

    const args: Record<string, string | undefined> = {};
    const vars = (): Record<string, string | undefined> => ({ ...globals, ...args, ...env });
    const skippedRuns: string[] = [];
    let command: string[] | undefined;
    let entrypoint: string[] | undefined;
    let healthcheck: string[] | undefined;

    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case 'ARG': {
          const { name, value } = argDeclaration(ins);
          args[name] =
            options.buildArgs?.[name] ??
            (value !== undefined ? substitute(value, vars()) : globals[name]);
          break;
        }
        case 'ENV':
          for (const [name, value] of envPairs(ins)) env[name] = substitute(value, vars());
          break;
        case 'WORKDIR':
          workdir = posix.resolve(workdir, substitute(ins.args, vars()));
          mkdirSync(join(root, workdir), { recursive: true });
          break;
        case 'COPY':
          copy(ins, { root, workdir, vars: vars(), context: options.context, ignore, roots, log });
          break;
        case 'RUN': {
          const script = ins.args; // the shell expands variables itself, as in a container
          if (isFinal) {
            skippedRuns.push(script);
            break;
          }
          log(`RUN ${script.replace(/\s+/g, ' ').slice(0, 120)}`);
          const stringVars = Object.fromEntries(
            Object.entries({ ...globals, ...args }).filter(
              (e): e is [string, string] => e[1] !== undefined,
            ),
          );
          const run = spawnSync('sh', ['-ec', script], {
            cwd: join(root, workdir),
            env: { ...options.hostEnv, ...stringVars, ...env },
            encoding: 'utf8',
            timeout: options.stepTimeoutMs,
            maxBuffer: 64 * 1024 * 1024,
          });
          if (run.status !== 0) {
            throw new Error(
              `line ${ins.line}: RUN failed (${run.status ?? run.signal ?? run.error?.message}):\n${script}\n${run.stdout}\n${run.stderr}`,
            );
          }
          break;
        }
        case 'CMD':
          command = execForm(ins.args);
          break;
        case 'ENTRYPOINT':
          entrypoint = execForm(ins.args);
          break;
        case 'HEALTHCHECK':
          healthcheck = execForm(ins.args.replace(/^CMD\s+/i, ''));
          break;
        default:
          break; // LABEL, USER, EXPOSE, STOPSIGNAL change nothing on disk
      }
    }

    roots.set(key, root);
    envs.set(key, env);
    workdirs.set(key, workdir);
    if (isFinal) {
      const argv = [...(entrypoint ?? []), ...(command ?? [])];
      if (argv.length === 0) throw new Error('the final stage has no exec-form CMD/ENTRYPOINT');
      result = {
        root,
        cwd: join(root, workdir),
        env,
        command: argv,
        healthcheck,
        skippedRuns,
      };
    }
  });

  if (!result) throw new Error('the Dockerfile has no stage');
  return result;
}

function isReferencedLater(stages: readonly Stage[], index: number, name: string): boolean {
  return stages
    .slice(index + 1)
    .some(
      (s) =>
        s.from.toLowerCase() === name ||
        s.instructions.some((i) => flagValue(i, 'from')?.toLowerCase() === name),
    );
}

interface CopyState {
  readonly root: string;
  readonly workdir: string;
  readonly vars: Record<string, string | undefined>;
  readonly context: string;
  readonly ignore: readonly IgnorePattern[];
  readonly roots: ReadonlyMap<string, string>;
  readonly log: (line: string) => void;
}

function copy(ins: Instruction, state: CopyState): void {
  const parts = (execForm(ins.args) ?? ins.args.split(/\s+/)).map((p) => substitute(p, state.vars));
  const dest = parts.pop();
  if (!dest || parts.length === 0)
    throw new Error(`line ${ins.line}: COPY needs a source and a destination`);
  const from = flagValue(ins, 'from')?.toLowerCase();
  const fromRoot = from ? state.roots.get(from) : undefined;
  if (from && !fromRoot) throw new Error(`line ${ins.line}: COPY --from=${from}: unknown stage`);
  const destAbs = posix.resolve(state.workdir, dest);
  const destHost = join(state.root, destAbs);
  state.log(`COPY ${from ? `--from=${from} ` : ''}${parts.join(' ')} ${dest}`);

  for (const src of parts) {
    const srcHost = fromRoot ? join(fromRoot, posix.resolve('/', src)) : join(state.context, src);
    if (!existsSync(srcHost))
      throw new Error(`line ${ins.line}: COPY source ${src} does not exist`);
    const isDir = statSync(srcHost).isDirectory();
    if (isDir) {
      // A directory source copies its contents into the destination.
      mkdirSync(destHost, { recursive: true });
      if (fromRoot) cpSync(srcHost, destHost, { recursive: true, verbatimSymlinks: true });
      else copyTree(srcHost, destHost, state.ignore, relative(state.context, srcHost));
    } else {
      const target =
        dest.endsWith('/') || parts.length > 1 ? join(destHost, basename(src)) : destHost;
      if (!fromRoot && isIgnored(relative(state.context, srcHost), state.ignore)) {
        throw new Error(`line ${ins.line}: COPY ${src} is excluded by .dockerignore`);
      }
      mkdirSync(dirname(target), { recursive: true });
      cpSync(srcHost, target, { verbatimSymlinks: true });
    }
  }
}

function copyTree(
  src: string,
  dest: string,
  ignore: readonly IgnorePattern[],
  relBase: string,
): void {
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const rel = relBase ? `${relBase}/${entry.name}` : entry.name;
    const from = join(src, entry.name);
    const to = join(dest, entry.name);
    const ignored = isIgnored(rel, ignore);
    if (entry.isSymbolicLink()) {
      if (!ignored) symlinkSync(readlinkSync(from), to);
    } else if (entry.isDirectory()) {
      if (ignored && !ignore.some((p) => p.negated && p.literalPrefix.startsWith(`${rel}/`)))
        continue;
      mkdirSync(to, { recursive: true });
      copyTree(from, to, ignore, rel);
    } else if (!ignored) {
      cpSync(from, to, { verbatimSymlinks: true });
    }
  }
}

interface IgnorePattern {
  readonly pattern: string;
  readonly negated: boolean;
  /** The part before the first wildcard, to know which excluded folders to enter. */
  readonly literalPrefix: string;
}

/** Reads `.dockerignore` from the context root (Docker's syntax: globs with `**`, `!`). */
export function readDockerignore(context: string): IgnorePattern[] {
  const file = join(context, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = posix.normalize((negated ? l.slice(1) : l).replace(/^\/+/, ''));
      const wildcard = pattern.search(/[*?[]/);
      return {
        pattern,
        negated,
        literalPrefix: wildcard < 0 ? pattern : pattern.slice(0, wildcard),
      };
    });
}

/**
 * Docker's rule: the last pattern that matches the path, or one of its parent folders, decides.
 */
export function isIgnored(rel: string, patterns: readonly IgnorePattern[]): boolean {
  let ignored = false;
  const segments = rel.split('/');
  for (const p of patterns) {
    for (let n = 1; n <= segments.length; n++) {
      if (matchesGlob(segments.slice(0, n).join('/'), p.pattern)) {
        ignored = !p.negated;
        break;
      }
    }
  }
  return ignored;
}
