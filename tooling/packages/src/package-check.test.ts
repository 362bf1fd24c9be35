import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  importSpecifiers,
  listPackages,
  manifestProblems,
  missingOutput,
  type PackageManifest,
  packageOf,
  publicOptionTypes,
  readmeExample,
  readmeInstallNames,
  undeclaredImports,
  undocumentedOptions,
  type WorkspacePackage,
} from './package-check.js';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const goodManifest: PackageManifest = {
  name: '@kit/widget',
  version: '1.0.0',
  type: 'module',
  license: 'MIT',
  engines: { node: '>=22.12' },
  files: ['dist'],
  exports: {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  dependencies: { jose: '^6.0.0' },
  peerDependencies: { hono: '^4.7.0' },
  devDependencies: { pino: '^10.0.0' },
};

/** A built package in a temporary packages/ folder. */
function packageFixture(
  files: Record<string, string>,
  manifest: PackageManifest = goodManifest,
): WorkspacePackage {
  const root = mkdtempSync(join(tmpdir(), 'package-check-'));
  temps.push(root);
  const all = { 'widget/package.json': JSON.stringify(manifest), ...files };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const [pkg] = listPackages(root);
  if (!pkg) throw new Error('fixture has no package');
  return pkg;
}

const builtFiles = {
  'widget/README.md': '# widget\n',
  'widget/dist/index.js': "import { jwtVerify } from 'jose';\nexport const x = 1;\n",
  'widget/dist/index.d.ts': 'export declare const x: number;\n',
};

describe('importSpecifiers', () => {
  it('finds static, side-effect, type-only, re-export, dynamic and require imports', () => {
    const code = [
      "import { a } from 'alpha';",
      'import type { B } from "@scope/beta/sub";',
      "import 'gamma/register';",
      "export { d } from './local.js';",
      "export * from 'delta';",
      "const e = await import('epsilon');",
      "const f = require('zeta');",
      'import {',
      '  multi,',
      '  line,',
      "} from 'eta';",
      "// import { commented } from 'not-this';",
      "/* import 'nor-this'; */",
    ].join('\n');
    expect(importSpecifiers(code)).toEqual([
      './local.js',
      '@scope/beta/sub',
      'alpha',
      'delta',
      'epsilon',
      'eta',
      'gamma/register',
      'zeta',
    ]);
  });
});

describe('packageOf', () => {
  it.each([
    ['hono/request-id', 'hono'],
    ['@hono/node-server/conninfo', '@hono/node-server'],
    ['jose', 'jose'],
    ['node:fs', undefined],
    ['fs/promises', undefined],
    ['./x.js', undefined],
    ['../y.js', undefined],
  ])('%s → %s', (specifier, name) => {
    expect(packageOf(specifier)).toBe(name);
  });
});

describe('manifestProblems', () => {
  it('accepts a complete, built manifest', () => {
    expect(manifestProblems(packageFixture(builtFiles))).toEqual([]);
  });

  it('names each problem: private, missing fields, exports without types or build, local specs', () => {
    const pkg = packageFixture(
      { 'widget/dist/index.js': '' },
      {
        name: '@kit/widget',
        version: '1.0.0',
        private: true,
        files: ['src'],
        exports: { '.': { default: './dist/index.js' }, './extra': './src/extra.ts' },
        dependencies: { '@kit/other': '*', local: 'file:../local' },
      },
    );
    expect(manifestProblems(pkg)).toEqual([
      '"private": true: it cannot be packed for another project',
      '"type" is not "module"',
      'no "license"',
      'no "engines.node"',
      '"files" does not list "dist"',
      'no README.md',
      'exports["."] has no "types" condition',
      'exports["./extra"] has no "types" condition',
      'exports["./extra"] points outside dist/: ./src/extra.ts',
      'dependencies["@kit/other"] is "*": use a version range npm can resolve',
      'dependencies["local"] is "file:../local": use a version range npm can resolve',
    ]);
  });

  it('asks for a prepack that builds when the package has a build', () => {
    const withBuild = { ...goodManifest, scripts: { build: 'tsc -p tsconfig.build.json' } };
    expect(manifestProblems(packageFixture(builtFiles, withBuild))).toEqual([
      'no "prepack" script that builds: npm pack would ship a package without dist/',
    ]);
    const withPrepack = {
      ...withBuild,
      scripts: { ...withBuild.scripts, prepack: 'npm run build' },
    };
    expect(manifestProblems(packageFixture(builtFiles, withPrepack))).toEqual([]);
  });

  it('reports an export target the build did not write', () => {
    const pkg = packageFixture({ 'widget/README.md': '', 'widget/dist/index.js': '' });
    expect(manifestProblems(pkg)).toEqual([
      'exports["."] points at ./dist/index.d.ts, which the build did not write',
    ]);
  });
});

describe('undeclaredImports', () => {
  it('accepts imports of dependencies, peer dependencies, builtins, itself and relative files', () => {
    const pkg = packageFixture({
      'widget/dist/index.js': [
        "import { jwtVerify } from 'jose';",
        "import { Hono } from 'hono';",
        "import { requestId } from 'hono/request-id';",
        "import { readFileSync } from 'node:fs';",
        "import { x } from './x.js';",
        "export { y } from '@kit/widget/y';",
      ].join('\n'),
      'widget/dist/index.d.ts': "import type { Context } from 'hono';\n",
    });
    expect(undeclaredImports(pkg)).toEqual([]);
  });

  it('reports imports of devDependencies and of undeclared packages, in code and declarations', () => {
    const pkg = packageFixture({
      'widget/dist/index.js': "import pino from 'pino';\n",
      'widget/dist/log/index.d.ts': "import type { Span } from '@opentelemetry/api';\n",
      'widget/dist/index.test.js': "import { it } from 'vitest';\n", // tests are not shipped
    });
    expect(undeclaredImports(pkg)).toEqual([
      { file: 'dist/index.js', specifier: 'pino', declaredAs: 'devDependencies' },
      { file: 'dist/log/index.d.ts', specifier: '@opentelemetry/api' },
    ]);
  });
});

describe('readmeExample', () => {
  const readme = (example: string) =>
    `# widget\n\n## Install\n\n\`\`\`ts\nnot this\n\`\`\`\n\n${example}## API\n\n\`\`\`text\nnot this either\n\`\`\`\n`;

  it('takes the first ts block under "## Example" and the text block after it', () => {
    const text = readme(
      "## Example\n\nRun it:\n\n```ts\nconsole.log('hi');\n```\n\nIt prints:\n\n```text\nhi\n```\n\n```ts\nsecond\n```\n\n",
    );
    expect(readmeExample(text)).toEqual({ code: "console.log('hi');\n", output: 'hi\n' });
  });

  it('says what is missing', () => {
    expect(() => readmeExample('# widget\n')).toThrow('no "## Example" heading');
    expect(() => readmeExample(readme('## Example\n\n```js\nx\n```\n\n'))).toThrow(
      'has no ```ts block',
    );
    expect(() => readmeExample(readme("## Example\n\n```ts\nconsole.log('hi');\n```\n\n"))).toThrow(
      'no ```text block after the code',
    );
  });
});

describe('readmeInstallNames', () => {
  it('reads the packages of npm install commands in shell blocks, without dev installs or versions', () => {
    const readme = [
      '```sh',
      'npm install @kit/widget hono@^4 @hono/node-server@2.1.9 # the server adapter',
      'npm install -D pino-pretty # optional',
      'npm i --save-exact jose',
      '```',
      '',
      '```ts',
      '// npm install not-this',
      '```',
    ].join('\n');
    expect(readmeInstallNames(readme)).toEqual([
      '@hono/node-server',
      '@kit/widget',
      'hono',
      'jose',
    ]);
  });
});

describe('missingOutput', () => {
  const printed = 'start\nGET /a 200 {"id":"1","requestId":"abc-123"}\nnoise\nexit code 0\n';

  it('matches expected lines in order, with … standing for any text', () => {
    expect(missingOutput('GET /a 200 {"id":"1","requestId":"…"}\nexit code 0\n', printed)).toEqual(
      [],
    );
  });

  it('returns the lines that were not printed, or printed out of order', () => {
    expect(missingOutput('GET /a 404 …\nexit code 0', printed)).toEqual(['GET /a 404 …']);
    expect(missingOutput('exit code 0\nstart', printed)).toEqual(['start']);
    expect(missingOutput('exit code', printed)).toEqual(['exit code']); // whole lines only
  });
});

describe('publicOptionTypes / undocumentedOptions', () => {
  const declarations = {
    'widget/dist/index.d.ts': [
      "export type { WidgetOptions } from './widget.js';",
      "export { widget } from './widget.js';",
    ].join('\n'),
    'widget/dist/widget.d.ts': [
      '/** Options of {@link widget}. */',
      'export interface WidgetOptions {',
      '    /** Size in px. Default: `{ w: 1 }`. */',
      '    size?: { w: number; h?: number };',
      '    readonly logger?: { warn(obj: object, msg: string): void };',
      '    onError?: (err: Error) => void;',
      '    retries: number;',
      '}',
      '/** Not exported from the entry point. */',
      'export interface InternalOptions {',
      '    secret: string;',
      '}',
      'export declare function widget(options: WidgetOptions): void;',
    ].join('\n'),
  };

  it('lists the top-level members of options interfaces the entry points export', () => {
    const pkg = packageFixture(declarations);
    expect([...publicOptionTypes(pkg)]).toEqual([
      ['WidgetOptions', ['size', 'logger', 'onError', 'retries']],
    ]);
  });

  it('accepts a table row or a list item naming each member, and reports the rest', () => {
    const pkg = packageFixture(declarations);
    const readme = [
      '| option | type | default |',
      '| --- | --- | --- |',
      '| `size` | `{ w, h? }` | `{ w: 1 }` |',
      '| `logger`, `onError` | | |',
      'Mentioning `retries` in prose does not document it.',
      '- `[warn]` is not an option either',
    ].join('\n');
    expect(undocumentedOptions(pkg, readme)).toEqual(['WidgetOptions.retries']);
    expect(
      undocumentedOptions(pkg, `${readme}\n- \`retries\` (number, required): attempts.`),
    ).toEqual([]);
  });
});
