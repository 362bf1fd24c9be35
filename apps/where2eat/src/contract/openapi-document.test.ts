import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderOpenApiDocument } from '../openapi-document.js';
import { appVersion } from '../runtime.js';
import { createTestApp } from '../test/harness.js';

// openapi.json is what consumers and CI read (lint, pacts, compatibility, generated clients):
// it must be exactly what the app serves.

const committed = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));

describe('openapi.json', () => {
  it('is the document the app renders, at the app version (else: npm run openapi)', async () => {
    const rendered = await renderOpenApiDocument(appVersion());
    expect(
      rendered,
      'openapi.json is stale: run `npm run openapi -w @micro-app/where2eat`',
    ).toEqual(committed);
    expect(committed.info.version).toBe(appVersion());
  });

  it('is what a running app serves at /openapi.json, whatever its settings', async () => {
    const t = await createTestApp({ deps: { version: appVersion() } });
    try {
      const res = await t.app.request('/openapi.json');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(committed);
    } finally {
      await t.close();
    }
  });
});
