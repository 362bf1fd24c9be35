import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Context, Env, Hono } from 'hono';

const gzip = promisify(gzipCallback);

/** Where the API reference page and its two scripts are served. */
export const DOCS_PATH = '/docs';
export const DOCS_SCRIPT_PATH = '/docs/scalar.js';
export const DOCS_INIT_PATH = '/docs/init.js';

/**
 * The policy of the reference page: its scripts, its document and its images come from its own
 * origin only. Scalar adds `<style>` elements at runtime (its stylesheet, the theme, its
 * components'), so styles need `'unsafe-inline'`; no script does.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Scalar's configuration: it loads nothing from outside the app (no fonts from Scalar's CDN, no
 * telemetry, no request proxy, no AI agent or MCP integration, no developer toolbar) and offers
 * no button that opens the document in Scalar's hosted client.
 */
function scalarConfiguration(openapiPath: string): Record<string, unknown> {
  return {
    url: openapiPath,
    withDefaultFonts: false,
    telemetry: false,
    showDeveloperTools: 'never',
    agent: { disabled: true },
    mcp: { disabled: true },
    hideClientButton: true,
  };
}

interface Asset {
  body: Buffer;
  gzipped: Buffer;
  etag: string;
  /** Short content hash: the `v` query of the page's script URL, so it can be cached for good. */
  version: string;
}

/**
 * The folder of an installed package, found from its main entry: its `exports` do not list
 * `./package.json` or `./dist/browser/*`, so neither can be resolved by name.
 */
function packageFolder(name: string, from: string): string {
  const entry = createRequire(from).resolve(name);
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name) {
      return dir;
    }
  }
  // Not reached for an npm-installed package; the main entry is `dist/index.js`.
  return dirname(dirname(entry));
}

/** The path of Scalar's prebuilt single-file browser bundle (`window.Scalar`). */
export function scalarScriptFile(from: string = import.meta.url): string {
  return join(packageFolder('@scalar/api-reference', from), 'dist', 'browser', 'standalone.js');
}

async function asset(body: Buffer): Promise<Asset> {
  const hash = createHash('sha256').update(body).digest('base64url');
  return {
    body,
    gzipped: await gzip(body),
    etag: `"${hash.slice(0, 32)}"`,
    version: hash.slice(0, 12),
  };
}

/** Mounts the reference on `#app` with the configuration the page carries (no inline script). */
const INIT_SCRIPT = `// Mounts the API reference (Scalar) on #app with the configuration in its data-configuration.
const mount = document.getElementById('app');
window.Scalar.createApiReference(mount, JSON.parse(mount.dataset.configuration));
`;

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Answers an asset with its ETag (304 when the browser has it), gzipped when accepted. */
function send(c: Context, a: Asset, contentType: string, cacheControl: string): Response {
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'Cache-Control': cacheControl,
    ETag: a.etag,
    Vary: 'Accept-Encoding',
  };
  const match = c.req.header('if-none-match');
  if (match?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === a.etag)) {
    return c.body(null, 304, headers);
  }
  const gzipOk = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  if (gzipOk) headers['Content-Encoding'] = 'gzip';
  const body = gzipOk ? a.gzipped : a.body;
  headers['Content-Length'] = String(body.byteLength);
  return c.body(new Uint8Array(body), 200, headers);
}

export interface DocsRoutesOptions {
  /** The page title. */
  title: string;
  /** The OpenAPI document the reference shows. */
  openapiPath: string;
  /** Scalar's bundle; default: `dist/browser/standalone.js` of the installed `@scalar/api-reference`. */
  scriptFile?: string;
}

/**
 * `/docs`: the API reference page, Scalar's bundle at `/docs/scalar.js` (from the installed
 * package, read on the first request, not at import) and the script that mounts it at
 * `/docs/init.js`. Nothing comes from a CDN and nothing runs inline, so the page's policy
 * (`DOCS_CSP`) allows scripts from the app's origin only.
 */
export function docsRoutes<E extends Env>(app: Hono<E>, options: DocsRoutesOptions): void {
  let script: Promise<Asset> | undefined;
  const loadScript = () => {
    script ??= readFile(options.scriptFile ?? scalarScriptFile())
      // The source map is not shipped in the image; drop the comment that points at it.
      .then((body) =>
        asset(Buffer.from(body.toString('utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'))),
      )
      .catch((err: unknown) => {
        script = undefined;
        throw err;
      });
    return script;
  };
  const configuration = escapeHtml(JSON.stringify(scalarConfiguration(options.openapiPath)));
  let init: Promise<Asset> | undefined;
  const loadInit = () => {
    init ??= asset(Buffer.from(INIT_SCRIPT));
    return init;
  };

  app.get(DOCS_SCRIPT_PATH, async (c) => {
    const a = await loadScript();
    // The page asks for the bundle with its content hash, which may then be cached for good.
    const versioned = c.req.query('v') === a.version;
    return send(
      c,
      a,
      'text/javascript; charset=utf-8',
      versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
    );
  });
  app.get(DOCS_INIT_PATH, async (c) =>
    send(c, await loadInit(), 'text/javascript; charset=utf-8', 'public, max-age=3600'),
  );
  app.get(DOCS_PATH, async (c) => {
    const { version } = await loadScript();
    const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(options.title)}</title>
  </head>
  <body>
    <div id="app" data-configuration="${configuration}"></div>
    <script src="${DOCS_SCRIPT_PATH}?v=${version}"></script>
    <script src="${DOCS_INIT_PATH}"></script>
  </body>
</html>
`;
    c.header('Content-Security-Policy', DOCS_CSP);
    c.header('Cache-Control', 'no-cache');
    return c.html(html);
  });
}
