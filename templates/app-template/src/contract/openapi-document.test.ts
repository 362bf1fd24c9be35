import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderOpenApiDocument } from '../openapi-document.js';
import { appVersion } from '../runtime.js';

// openapi.json is what consumers and CI read (Spectral + OWASP lint, pacts, breaking changes):
// it must be exactly what the app serves. `npm run openapi` writes it.

const FILE = new URL('../../openapi.json', import.meta.url);

describe('openapi.json', () => {
  it('is the document the app renders, at the app version (else: npm run openapi)', async () => {
    expect(
      existsSync(FILE),
      'no openapi.json: run `npx turbo run openapi --filter=@micro-app/app-template`',
    ).toBe(true);
    const committed = JSON.parse(readFileSync(FILE, 'utf8'));
    const rendered = await renderOpenApiDocument(appVersion());
    expect(
      rendered,
      'openapi.json is stale: run `npx turbo run openapi --filter=@micro-app/app-template`',
    ).toEqual(committed);
  });
});
