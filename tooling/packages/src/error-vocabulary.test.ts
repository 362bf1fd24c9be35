import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// One error vocabulary for every package under packages/: a single error class whose codes are
// UPPER_SNAKE_CASE behind the package's prefix (AUTH_INVALID_OPTIONS, RATE_LIMIT_STORE_TIMEOUT),
// no bare Error/RangeError/TypeError thrown at callers, and RFC 9457 answers built only by
// @micro-app/problem, so the media type, the `type` URIs and the body members cannot drift apart.

const repoRoot = resolve(import.meta.dirname, '../../..');
const packagesDir = join(repoRoot, 'packages');

/** Packages allowed to spell out problem details: the one that renders them, the one that parses them. */
const PROBLEM_BODY_OWNERS = new Set(['problem', 'where2eat-client']);

/**
 * Packages whose codes keep their own scheme. where2eat-client's lower-case codes (`not_found`,
 * `rate_limited`) name the HTTP outcomes of the API it is generated for; they are its public
 * contract with every caller, not kit configuration errors.
 */
const OWN_CODE_SCHEME = new Set(['where2eat-client']);

interface SourceFile {
  /** Path from the package folder, `/`-separated. */
  readonly path: string;
  readonly text: string;
}

/** `rate-limit` → `RATE_LIMIT`. */
function codePrefix(folder: string): string {
  return folder.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * The source with comments blanked (`code`), and with string and template literal contents
 * blanked too (`bare`), so a pattern in a comment or a message never counts; `strings` holds the
 * literals' contents. Regex literals are recognised from the token before them.
 */
function lex(source: string): { code: string; bare: string; strings: string[] } {
  let code = '';
  let bare = '';
  const strings: string[] = [];
  let lastSignificant = '';
  let i = 0;
  const emit = (codePart: string, barePart = codePart) => {
    code += codePart;
    bare += barePart;
  };
  const blank = (text: string) => text.replace(/[^\n]/g, ' ');
  while (i < source.length) {
    const ch = source[i] as string;
    const next = source[i + 1];
    if (ch === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? source.length : end;
      emit(blank(source.slice(i, stop)));
      i = stop;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      emit(blank(source.slice(i, stop)));
      i = stop;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== ch) j += source[j] === '\\' ? 2 : 1;
      const content = source.slice(i + 1, j);
      strings.push(content);
      emit(source.slice(i, j + 1), `${ch}${blank(content)}${ch}`);
      i = j + 1;
      lastSignificant = ch;
      continue;
    }
    const regexCanStart =
      lastSignificant === '' ||
      /[(,=:[!&|?{};]/.test(lastSignificant) ||
      /(?:^|[^\w$])(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)\s*$/.test(
        code,
      );
    if (ch === '/' && regexCanStart) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== '\n') {
        const c = source[j];
        if (c === '\\') j++;
        else if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) break;
        j++;
      }
      emit(source.slice(i, j + 1), blank(source.slice(i, j + 1)));
      i = j + 1;
      lastSignificant = '/';
      continue;
    }
    emit(ch);
    if (!/\s/.test(ch)) lastSignificant = ch;
    i++;
  }
  return { code, bare, strings };
}

function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*' && glob[i + 1] === '*') {
      pattern += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') pattern += '[^/]*';
    else if (ch === '?') pattern += '[^/]';
    else pattern += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

/** The package's shipped sources: src/**\/*.ts without tests and what its build leaves out. */
function shippedSources(dir: string): SourceFile[] {
  const buildConfig = join(dir, 'tsconfig.build.json');
  const excluded = (
    existsSync(buildConfig)
      ? ((JSON.parse(readFileSync(buildConfig, 'utf8')) as { exclude?: string[] }).exclude ?? [])
      : []
  ).map(globToRegExp);
  const out: SourceFile[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const path = relative(dir, full).split(sep).join('/');
      if (entry.isDirectory()) walk(full);
      else if (
        entry.name.endsWith('.ts') &&
        !entry.name.endsWith('.test.ts') &&
        !excluded.some((re) => re.test(path))
      ) {
        out.push({ path, text: readFileSync(full, 'utf8') });
      }
    }
  };
  if (existsSync(join(dir, 'src'))) walk(join(dir, 'src'));
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Every way the sources of package folder `folder` break the vocabulary, one line each. */
function vocabularyProblems(folder: string, files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  const prefix = codePrefix(folder);
  const codePattern = new RegExp(`^${prefix}_[A-Z0-9_]+$`);
  const lexed = files.map((file) => ({ ...file, ...lex(file.text) }));

  const classes = lexed.flatMap((f) =>
    [...f.bare.matchAll(/\bclass\s+(\w+Error)\s+extends\b/g)].map((m) => ({
      name: m[1] as string,
      file: f.path,
    })),
  );
  if (classes.length > 1) {
    problems.push(
      `${folder}: more than one error class (${classes.map((c) => `${c.name} in ${c.file}`).join(', ')}); use one with codes`,
    );
  }

  const checkCode = (where: string, code: string) => {
    if (OWN_CODE_SCHEME.has(folder)) return;
    if (!codePattern.test(code)) {
      problems.push(`${where}: code '${code}' does not match ${codePattern.source}`);
    }
  };

  for (const errorClass of classes) {
    const unionName = `${errorClass.name}Code`;
    const unions = lexed.flatMap((f) =>
      [...f.code.matchAll(new RegExp(`\\btype\\s+${unionName}\\s*=([^;]*);`, 'g'))].map((m) => ({
        file: f.path,
        members: [...(m[1] as string).matchAll(/'([^']*)'|"([^"]*)"/g)].map(
          (lit) => (lit[1] ?? lit[2]) as string,
        ),
      })),
    );
    if (unions.length !== 1 || unions[0]?.members.length === 0) {
      problems.push(
        `${folder}: ${errorClass.name} needs one \`type ${unionName} = 'A' | 'B'\` union of string codes`,
      );
      continue;
    }
    const union = unions[0] as { file: string; members: string[] };
    for (const member of union.members) checkCode(`${folder}/${union.file} ${unionName}`, member);
    for (const f of lexed) {
      for (const m of f.code.matchAll(
        new RegExp(`\\bnew\\s+${errorClass.name}\\s*\\(\\s*['"]([^'"]*)['"]`, 'g'),
      )) {
        const code = m[1] as string;
        checkCode(`${folder}/${f.path} new ${errorClass.name}`, code);
        if (!union.members.includes(code)) {
          problems.push(`${folder}/${f.path}: code '${code}' is not in ${unionName}`);
        }
      }
    }
  }

  for (const f of lexed) {
    const where = `${folder}/${f.path}`;
    for (const m of f.bare.matchAll(/\bthrow\s+new\s+((?:Range|Type)?Error)\s*\(/g)) {
      problems.push(`${where}: throws a bare ${m[1]}; throw the package's error class with a code`);
    }
    if (PROBLEM_BODY_OWNERS.has(folder)) continue;
    for (const literal of f.strings) {
      if (literal.includes('application/problem+json')) {
        problems.push(`${where}: spells out application/problem+json; use @micro-app/problem`);
      }
      if (literal.includes('urn:problem-type:')) {
        problems.push(`${where}: spells out a urn:problem-type: URI; use problemType(slug)`);
      }
    }
    // A body member only problem details have; its presence means a body built by hand.
    if (/[{,]\s*instance\s*:/.test(f.bare)) {
      problems.push(`${where}: builds a problem body (\`instance:\`); use problemResponse()`);
    }
    const reexports = f.bare.replace(/\bexport\s*(?:type\s*)?\{[^}]*\}\s*from\s*'[^']*'/g, '');
    for (const name of ['PROBLEM_CONTENT_TYPE', 'PROBLEM_TYPE_PREFIX']) {
      if (new RegExp(`\\b${name}\\b`).test(reexports)) {
        problems.push(`${where}: uses ${name} to build an answer; use problemResponse()`);
      }
    }
  }
  return problems;
}

const folders = readdirSync(packagesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(packagesDir, e.name, 'package.json')))
  .map((e) => e.name)
  .sort();

describe('error vocabulary of packages/*', () => {
  it('finds the packages and their sources', () => {
    expect(folders).toContain('problem');
    for (const folder of folders) {
      expect(shippedSources(join(packagesDir, folder)).length, folder).toBeGreaterThan(0);
    }
  });

  it.each(folders)('%s keeps to it', (folder) => {
    expect(vocabularyProblems(folder, shippedSources(join(packagesDir, folder)))).toEqual([]);
  });
});

describe('the vocabulary check', () => {
  const errors = (union: string) => ({
    path: 'src/errors.ts',
    text: `export type WidgetErrorCode = ${union};\nexport class WidgetError extends Error {\n  constructor(readonly code: WidgetErrorCode) { super(code); }\n}\n`,
  });
  const file = (text: string, path = 'src/thing.ts') => ({ path, text });

  it('accepts prefixed codes used by the one error class', () => {
    expect(
      vocabularyProblems('rate-limit', [
        errors("'RATE_LIMIT_INVALID_OPTIONS' | 'RATE_LIMIT_STORE_TIMEOUT'"),
        file("throw new WidgetError('RATE_LIMIT_STORE_TIMEOUT', 'slow');"),
      ]),
    ).toEqual([]);
  });

  it('names a code without the prefix, in the union and where it is thrown', () => {
    expect(
      vocabularyProblems('rate-limit', [
        errors("'INVALID_OPTIONS' | 'rate_limit_store_timeout'"),
        file("throw new WidgetError('STORE_TIMEOUT', 'slow');"),
      ]),
    ).toEqual([
      "rate-limit/src/errors.ts WidgetErrorCode: code 'INVALID_OPTIONS' does not match ^RATE_LIMIT_[A-Z0-9_]+$",
      "rate-limit/src/errors.ts WidgetErrorCode: code 'rate_limit_store_timeout' does not match ^RATE_LIMIT_[A-Z0-9_]+$",
      "rate-limit/src/thing.ts new WidgetError: code 'STORE_TIMEOUT' does not match ^RATE_LIMIT_[A-Z0-9_]+$",
      "rate-limit/src/thing.ts: code 'STORE_TIMEOUT' is not in WidgetErrorCode",
    ]);
  });

  it('asks for one error class with a union of codes', () => {
    expect(
      vocabularyProblems('auth', [
        file('export class AuthError extends Error {}\nexport class TokenError extends Error {}'),
      ]),
    ).toEqual([
      'auth: more than one error class (AuthError in src/thing.ts, TokenError in src/thing.ts); use one with codes',
      "auth: AuthError needs one `type AuthErrorCode = 'A' | 'B'` union of string codes",
      "auth: TokenError needs one `type TokenErrorCode = 'A' | 'B'` union of string codes",
    ]);
  });

  it('names bare throws, but not in comments, strings or regular expressions', () => {
    expect(
      vocabularyProblems('db', [
        file(
          [
            "if (!url) throw new TypeError('url is required');",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: source text of a fixture
            'throw new RangeError(`bad ${x}`);',
            "throw new Error('x');",
            "// throw new Error('in a comment');",
            "/* throw new Error('in a block comment'); */",
            "const hint = 'never throw new Error(here)';",
            'const re = /throw new Error\\(/;',
            "const url = 'https://example.com'; throw new Error('after a URL');",
            "if (x) return /'/.test(y) ? 1 : 2; // throw new Error('after a regex')",
          ].join('\n'),
        ),
      ]),
    ).toEqual([
      "db/src/thing.ts: throws a bare TypeError; throw the package's error class with a code",
      "db/src/thing.ts: throws a bare RangeError; throw the package's error class with a code",
      "db/src/thing.ts: throws a bare Error; throw the package's error class with a code",
      "db/src/thing.ts: throws a bare Error; throw the package's error class with a code",
    ]);
  });

  it('names problem bodies built outside @micro-app/problem, and allows them inside', () => {
    const handBuilt = file(
      [
        "const TYPE = 'application/problem+json';",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: source text of a fixture
        'const body = { type: `urn:problem-type:${slug}`, title, status, instance: c.req.path };',
        "return c.body(JSON.stringify(body), 503, { 'Content-Type': PROBLEM_CONTENT_TYPE });",
      ].join('\n'),
    );
    expect(vocabularyProblems('flags', [handBuilt])).toEqual([
      'flags/src/thing.ts: spells out application/problem+json; use @micro-app/problem',
      'flags/src/thing.ts: spells out a urn:problem-type: URI; use problemType(slug)',
      'flags/src/thing.ts: builds a problem body (`instance:`); use problemResponse()',
      'flags/src/thing.ts: uses PROBLEM_CONTENT_TYPE to build an answer; use problemResponse()',
    ]);
    expect(vocabularyProblems('problem', [handBuilt])).toEqual([]);
  });

  it('allows re-exporting the media type and fields that only resemble instance', () => {
    expect(
      vocabularyProblems('rate-limit', [
        file(
          [
            "export { PROBLEM_CONTENT_TYPE } from '@micro-app/problem';",
            'const config = { instanceId: id, meta: { instance } };',
            "const doc = 'instance: not code';",
            'options.instance = 1;',
            'const pick = ready ? instance : fallback;',
          ].join('\n'),
        ),
      ]),
    ).toEqual([]);
  });

  it('reads only shipped sources: tests and what the build excludes are left out', () => {
    const sources = shippedSources(join(packagesDir, 'rate-limit')).map((f) => f.path);
    expect(sources).toContain('src/errors.ts');
    expect(sources.some((p) => p.endsWith('.test.ts'))).toBe(false);
    expect(sources.some((p) => p.startsWith('src/test/'))).toBe(false);
  });
});
