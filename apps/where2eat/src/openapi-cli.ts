// npm run openapi: writes openapi.json, the document /openapi.json serves, for the API's
// consumers and CI (lint, pact validation, breaking-change check, generated clients). Refuses a
// breaking change unless package.json's version starts a new release line (major; 0.y for 0.x):
// the repository's API-contract check decides (`npm run api:compat` at the root), so the app
// imports no tool.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderOpenApiDocument } from './openapi-document.js';
import { appVersion } from './runtime.js';

const FILE = fileURLToPath(new URL('../openapi.json', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const document = await renderOpenApiDocument(appVersion());
const text = `${JSON.stringify(document, null, 2)}\n`;
if (existsSync(FILE)) {
  if (readFileSync(FILE, 'utf8') === text) {
    process.stdout.write('openapi.json is up to date\n');
    process.exit(0);
  }
  const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
  const next = join(dir, 'openapi.json');
  writeFileSync(next, text);
  const compat = spawnSync('npm', ['run', '--silent', 'api:compat', '--', FILE, next], {
    cwd: ROOT,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  rmSync(dir, { recursive: true, force: true });
  if (compat.status !== 0) process.exit(compat.status ?? 1);
}
writeFileSync(FILE, text);
process.stdout.write(
  `wrote openapi.json (${String((document.info as { version?: unknown }).version)})\n`,
);
