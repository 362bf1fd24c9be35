import { TelemetryError } from '../errors.js';

// Redaction compiled once, applied to every log line as a pino `formatters.log`/`bindings` hook.
// pino's own `redact` option (@pinojs/redact 0.4) parses every path again on each line and, with
// a `*.key` path, runs the whole path list for every field of the line: with the default list
// that was about 40 µs of the ~60 µs a request log line cost (docs/performance.md). This takes the
// same path syntax, parses it once into a tree and walks a line only along that tree, copying an
// object only when something in it is censored (the caller's objects are never changed).

/** A node of the compiled path tree: censor here, or look further by key or by any key (`*`). */
interface PathNode {
  censor: boolean;
  keys: Map<string, PathNode>;
  any: PathNode | undefined;
}

const node = (): PathNode => ({ censor: false, keys: new Map(), any: undefined });

const IDENTIFIER = /^[A-Za-z_$][\w$-]*/;

/**
 * The segments of a pino redaction path: `a.b`, `a["b-c"]`, `a['b']`, `a[0]`, `*.secret`,
 * `a.*`. Throws `TELEMETRY_INVALID_OPTIONS` for anything else.
 */
export function parseRedactPath(path: string): string[] {
  const segments: string[] = [];
  let rest = path;
  let first = true;
  while (rest.length > 0) {
    if (!first) {
      if (rest.startsWith('.')) rest = rest.slice(1);
      else if (!rest.startsWith('[')) break;
    }
    first = false;
    const bracket = /^\[(?:"([^"]*)"|'([^']*)'|(\d+)|(\*))\]/.exec(rest);
    if (bracket) {
      segments.push(bracket[1] ?? bracket[2] ?? bracket[3] ?? '*');
      rest = rest.slice(bracket[0].length);
      continue;
    }
    if (rest.startsWith('*')) {
      segments.push('*');
      rest = rest.slice(1);
      continue;
    }
    const word = IDENTIFIER.exec(rest);
    if (!word) break;
    segments.push(word[0]);
    rest = rest.slice(word[0].length);
  }
  if (rest.length > 0 || segments.length === 0) {
    throw new TelemetryError(
      'TELEMETRY_INVALID_OPTIONS',
      `redact path "${path}" is not a path like a.b, a["b-c"], *.secret or a[0]`,
    );
  }
  return segments;
}

function compile(paths: readonly string[]): PathNode {
  const root = node();
  for (const path of paths) {
    let at = root;
    for (const segment of parseRedactPath(path)) {
      if (segment === '*') {
        at.any ??= node();
        at = at.any;
      } else {
        const next = at.keys.get(segment) ?? node();
        at.keys.set(segment, next);
        at = next;
      }
    }
    at.censor = true;
  }
  return root;
}

/** A copy of `value` that keeps its prototype and every own property (an Error's message too). */
function shallowCopy<T extends object>(value: T): T {
  if (Array.isArray(value)) return value.slice() as T;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) return { ...value };
  const copy = Object.defineProperties(
    Object.create(proto),
    Object.getOwnPropertyDescriptors(value),
  ) as T;
  // V8's `stack` is an accessor over the original error's internal state: copy its value.
  if (value instanceof Error) {
    Object.defineProperty(copy, 'stack', {
      value: value.stack,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

function walk(value: unknown, at: PathNode, censor: string): unknown {
  if (value === null || typeof value !== 'object') return value;
  let copy: Record<string, unknown> | undefined;
  const source = value as Record<string, unknown>;
  const visit = (key: string, child: PathNode) => {
    const current = (copy ?? source)[key];
    if (current === undefined) return;
    const next = child.censor ? censor : walk(current, child, censor);
    if (next === current) return;
    copy ??= shallowCopy(source);
    copy[key] = next;
  };
  for (const [key, child] of at.keys) {
    if (Object.hasOwn(source, key)) visit(key, child);
  }
  if (at.any) {
    for (const key of Object.keys(source)) visit(key, at.any);
  }
  return copy ?? value;
}

/**
 * A function that returns `object` with every value at one of `paths` replaced by `censor`.
 * It returns `object` itself when nothing matched, and otherwise a copy of only the objects on
 * the way to a censored value; `object` is never modified.
 *
 * @param paths pino redaction paths, e.g. `authorization`, `*.password`, `headers["set-cookie"]`
 * @throws {TelemetryError} `TELEMETRY_INVALID_OPTIONS` for a path it cannot parse
 * @example
 * const redact = compileRedaction(['*.password'], '[Redacted]');
 * redact({ user: { name: 'ada', password: 'x' } }); // { user: { name: 'ada', password: '[Redacted]' } }
 */
export function compileRedaction(
  paths: readonly string[],
  censor: string,
): <T extends Record<string, unknown>>(object: T) => T {
  const root = compile(paths);
  return (object) => walk(object, root, censor) as typeof object;
}
