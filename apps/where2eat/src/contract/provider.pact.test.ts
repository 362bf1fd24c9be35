import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { serve } from '@hono/node-server';
import { Verifier, type VerifierOptions } from '@pact-foundation/pact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test/harness.js';
import { clearData, providerStates } from '../test/provider-states.js';

// Pact's native core reports anonymous usage unless told not to: tests never phone home.
process.env.PACT_DO_NOT_TRACK ??= 'true';

// Provider side of the where2eat-client contract: every interaction the client's consumer tests
// recorded is replayed against the real app (routes, middleware, PGlite or DATABASE_URL) served
// over real HTTP. Provider states insert the rows each interaction names; a request filter swaps
// the consumer's example token for a real one from the dev IdP (requests without a token stay
// without one, so the 401 interaction checks the real auth middleware).
//
// The pact file is written by `@micro-app/where2eat-client`'s tests; turbo runs them before this
// package's `test` and `test:contract` tasks (apps/where2eat/turbo.json).
//
// With PACT_BROKER_BASE_URL set (CI, when a broker is configured), the pacts the broker selects
// are verified as well and the results published for PACT_PROVIDER_VERSION, so `can-i-deploy`
// can answer (see brokerOptions).

const clientPackage = dirname(
  createRequire(import.meta.url).resolve('@micro-app/where2eat-client/package.json'),
);
const PACT_FILE = join(clientPackage, 'pacts', 'where2eat-client-where2eat.json');

/**
 * With a broker, also verify the pacts it selects (main branch, this branch, deployed or
 * released) and publish the results. The local file is verified either way, without pending
 * status: a change that breaks this commit's client always fails. (Pact reads
 * PACT_BROKER_BASE_URL by itself too, so broker mode cannot be half on.)
 */
function brokerOptions(): Partial<VerifierOptions> {
  const pactBrokerUrl = process.env.PACT_BROKER_BASE_URL;
  if (!pactBrokerUrl) return {};
  const providerVersion = process.env.PACT_PROVIDER_VERSION;
  if (!providerVersion) {
    throw new Error('PACT_BROKER_BASE_URL is set: set PACT_PROVIDER_VERSION (the git sha) too');
  }
  const branch = process.env.PACT_PROVIDER_BRANCH;
  const token = process.env.PACT_BROKER_TOKEN;
  return {
    pactBrokerUrl,
    ...(token ? { pactBrokerToken: token } : {}),
    consumerVersionSelectors: [
      { mainBranch: true },
      { matchingBranch: true },
      { deployedOrReleased: true },
    ],
    enablePending: true,
    publishVerificationResult: true,
    providerVersion,
    ...(branch ? { providerVersionBranch: branch } : {}),
  };
}

describe('where2eat honours the where2eat-client contract', () => {
  let t: TestApp;
  let server: ReturnType<typeof serve>;
  let baseUrl: string;

  beforeAll(async () => {
    if (!existsSync(PACT_FILE)) {
      throw new Error(
        `No pact file at ${PACT_FILE}. The consumer tests of @micro-app/where2eat-client write ` +
          'it: run `npx turbo run test --filter=@micro-app/where2eat` (turbo runs them first), ' +
          'or `npm test -w @micro-app/where2eat-client` before this test.',
      );
    }
    t = await createTestApp();
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    await t?.close();
  });

  const verifierOptions = (): VerifierOptions => ({
    provider: 'where2eat',
    providerBaseUrl: baseUrl,
    stateHandlers: providerStates(t.db),
    beforeEach: () => clearData(t.db),
    requestFilter: (req, _res, next) => {
      if (req.headers.authorization !== undefined) {
        req.headers.authorization = `Bearer ${t.tokens.alice}`;
      }
      next();
    },
    logLevel: 'warn',
  });

  it('has a state handler for every provider state the pact names', () => {
    const pact = JSON.parse(readFileSync(PACT_FILE, 'utf8')) as {
      interactions: Array<{ description: string; providerStates?: Array<{ name: string }> }>;
    };
    const named = new Set(
      pact.interactions.flatMap((i) => (i.providerStates ?? []).map((s) => s.name)),
    );
    expect(pact.interactions.length).toBeGreaterThan(0);
    // Pact only warns about a state without a handler; here it is an error.
    expect([...named].filter((name) => !(name in providerStates(t.db)))).toEqual([]);
    // The verifier calls the state endpoint (and so beforeEach, which empties the tables) only
    // for interactions with a state: one without would see the previous interaction's rows.
    expect(
      pact.interactions.filter((i) => !i.providerStates?.length).map((i) => i.description),
    ).toEqual([]);
  });

  it('verifies every interaction of the pact against the real app', async () => {
    // Rejects, listing each mismatch, when the app no longer answers as the client expects.
    await new Verifier({
      ...verifierOptions(),
      pactUrls: [PACT_FILE],
      ...brokerOptions(),
    }).verifyProvider();
  });
});
