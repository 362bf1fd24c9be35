// npm run openapi: writes openapi.json, the document /openapi.json serves, for the API's
// consumers and CI (lint, pact validation, breaking-change check). Refuses a breaking change
// unless package.json's version starts a new release line (major; 0.y for 0.x).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compareDocuments, formatReport } from '@micro-app/api-contract/compat';
import { renderOpenApiDocument } from './openapi-document.js';
import { appVersion } from './runtime.js';

const FILE = new URL('../openapi.json', import.meta.url);

const document = await renderOpenApiDocument(appVersion());
const text = `${JSON.stringify(document, null, 2)}\n`;
if (existsSync(FILE)) {
  const previous = readFileSync(FILE, 'utf8');
  if (previous === text) {
    process.stdout.write('openapi.json is up to date\n');
    process.exit(0);
  }
  const report = compareDocuments(JSON.parse(previous), document);
  process.stdout.write(`${formatReport(report, 'openapi.json')}\n`);
  if (!report.ok) process.exit(1);
}
writeFileSync(FILE, text);
process.stdout.write(`wrote openapi.json (${appVersion()})\n`);
