import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Verifier } from '@pact-foundation/pact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test/harness.js';
import { clearData, providerStates } from '../test/provider-states.js';

// Pact's native core reports anonymous usage unless told not to: tests never phone home.
process.env.PACT_DO_NOT_TRACK ??= 'true';

// Provider side of the contract in contracts/: every interaction the consumer recorded is
// replayed against the real app (routes, middleware, PGlite or DATABASE_URL) served over real
// HTTP. Provider states insert the rows each interaction names; a request filter swaps the
// consumer's example token for a real one from the dev IdP (requests without a token stay
// without one, so the 401 interaction checks the real auth middleware). When a real consumer
// publishes its pact, verify that file (or the broker's pacts) here instead.

const PACT_FILE = fileURLToPath(
  new URL('../../contracts/app-template-client-app-template.json', import.meta.url),
);

describe('app-template honours the app-template-client contract', () => {
  let t: TestApp;
  let server: ReturnType<typeof serve>;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestApp();
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    await t?.close();
  });

  it('has a state handler for every provider state the pact names', () => {
    const pact = JSON.parse(readFileSync(PACT_FILE, 'utf8')) as {
      interactions: Array<{ providerStates?: Array<{ name: string }> }>;
    };
    const named = new Set(
      pact.interactions.flatMap((i) => (i.providerStates ?? []).map((s) => s.name)),
    );
    expect(pact.interactions.length).toBeGreaterThan(0);
    expect([...named].filter((name) => !(name in providerStates(t.db)))).toEqual([]);
  });

  it('verifies every interaction of the pact against the real app', async () => {
    // Rejects, listing each mismatch, when the app no longer answers as the consumer expects.
    await new Verifier({
      provider: 'app-template',
      providerBaseUrl: baseUrl,
      pactUrls: [PACT_FILE],
      stateHandlers: providerStates(t.db),
      beforeEach: () => clearData(t.db),
      requestFilter: (req, _res, next) => {
        if (req.headers.authorization !== undefined) {
          req.headers.authorization = `Bearer ${t.tokens.alice}`;
        }
        next();
      },
      logLevel: 'warn',
    }).verifyProvider();
  });
});
