/**
 * A small Dockerfile reader: enough of the syntax to lint the project's Dockerfiles and to
 * replay their build steps outside a container. Handles parser directives, comments, line
 * continuations, `--flag=value` options and exec (JSON) form. No heredocs.
 */

/** One Dockerfile instruction with its continuation lines joined. */
export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY … */
  readonly keyword: string;
  /** `--name=value` options in front of the arguments (RUN, COPY, ADD, FROM, HEALTHCHECK). */
  readonly flags: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** Everything after the keyword and its flags. */
  readonly args: string;
  /** 1-based line of the keyword. */
  readonly line: number;
}

/** A build stage: its FROM and every instruction up to the next FROM. */
export interface Stage {
  readonly index: number;
  /** `AS name`, lower-cased as Docker does, or undefined. */
  readonly name: string | undefined;
  /** The image or stage named by FROM, before ARG substitution. */
  readonly from: string;
  readonly fromLine: number;
  readonly instructions: readonly Instruction[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** Parser directives (`# syntax=…`, `# escape=…`), keys lower-cased. */
  readonly directives: Readonly<Record<string, string>>;
  /** ARG instructions before the first FROM. */
  readonly globalArgs: readonly Instruction[];
  readonly stages: readonly Stage[];
}

const FLAGGED = new Set(['RUN', 'COPY', 'ADD', 'FROM', 'HEALTHCHECK']);

/**
 * Parses Dockerfile text.
 * @throws Error when an instruction comes before the first FROM (other than ARG) or a line
 *   continuation never ends.
 */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split(/\r?\n/);
  const directives: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z]+)\s*=\s*(.+?)\s*$/.exec(lines[i] ?? '');
    if (!m?.[1] || !m[2]) break;
    directives[m[1].toLowerCase()] = m[2];
  }

  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const first = lines[i] ?? '';
    const startLine = i + 1;
    i++;
    if (/^\s*(#.*)?$/.test(first)) continue;
    let body = first;
    while (/\\\s*$/.test(body)) {
      body = body.replace(/\\\s*$/, '');
      if (i >= lines.length) throw new Error(`line ${startLine}: unterminated line continuation`);
      const next = lines[i] ?? '';
      i++;
      // Comment lines inside a continuation are dropped, as Docker does.
      if (/^\s*#/.test(next)) {
        body += '\\';
        continue;
      }
      body += next; // Docker joins continuation lines without a separator
    }
    const m = /^\s*([A-Za-z]+)\s*([\s\S]*)$/.exec(body);
    if (!m?.[1]) throw new Error(`line ${startLine}: cannot read an instruction`);
    const keyword = m[1].toUpperCase();
    let rest = (m[2] ?? '').trim();
    const flags: { name: string; value: string }[] = [];
    if (FLAGGED.has(keyword)) {
      for (;;) {
        const f = /^--([a-zA-Z-]+)(?:=(\S*))?\s*/.exec(rest);
        if (!f?.[1]) break;
        flags.push({ name: f[1], value: f[2] ?? '' });
        rest = rest.slice(f[0].length);
      }
    }
    instructions.push({ keyword, flags, args: rest.trim(), line: startLine });
  }

  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  let current: { from: Instruction; body: Instruction[] } | undefined;
  const close = (): void => {
    if (!current) return;
    const words = current.from.args.split(/\s+/);
    const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
    stages.push({
      index: stages.length,
      name: asIndex >= 0 ? words[asIndex + 1]?.toLowerCase() : undefined,
      from: words[0] ?? '',
      fromLine: current.from.line,
      instructions: current.body,
    });
  };
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      close();
      current = { from: ins, body: [] };
    } else if (current) {
      current.body.push(ins);
    } else if (ins.keyword === 'ARG') {
      globalArgs.push(ins);
    } else {
      throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
    }
  }
  close();
  return { directives, globalArgs, stages };
}

/** The value of a flag such as `--from`, or undefined. */
export function flagValue(ins: Instruction, name: string): string | undefined {
  return ins.flags.find((f) => f.name === name)?.value;
}

/** The arguments as an array when written in exec (JSON) form, else undefined. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return parsed;
  } catch {
    return undefined;
  }
  return undefined;
}

/** `ARG NAME=default` or `ARG NAME` as a pair. */
export function argDeclaration(ins: Instruction): { name: string; value: string | undefined } {
  const eq = ins.args.indexOf('=');
  if (eq < 0) return { name: ins.args.trim(), value: undefined };
  return { name: ins.args.slice(0, eq).trim(), value: unquote(ins.args.slice(eq + 1).trim()) };
}

/** `ENV A=1 B="two words"` (or the legacy `ENV A 1`) as name/value pairs. */
export function envPairs(ins: Instruction): Array<[string, string]> {
  const text = ins.args.replace(/\\\n/g, ' ').replace(/\n/g, ' ');
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) {
    const sp = text.search(/\s/);
    return sp < 0 ? [[text, '']] : [[text.slice(0, sp), text.slice(sp + 1).trim()]];
  }
  const pairs: Array<[string, string]> = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    pairs.push([m[1] ?? '', unquote(m[2] ?? '')]);
  }
  return pairs;
}

/** `LABEL a="x" b=y` as a map. */
export function labelMap(ins: Instruction): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_.-]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  const text = ins.args.replace(/\n/g, ' ');
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1] ?? ''] = unquote(m[2] ?? '');
  return out;
}

/** Replaces `$NAME`, `${NAME}` and `${NAME:-default}` from vars; unknown names become ''. */
export function substitute(
  text: string,
  vars: Readonly<Record<string, string | undefined>>,
): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_all, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
      const value = vars[braced ?? bare ?? ''];
      return value === undefined || value === '' ? (fallback ?? '') : value;
    },
  );
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  return value;
}
