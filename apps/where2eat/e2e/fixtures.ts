// The suite's `test`: Playwright's, with the where2eat instance of this project (`appUrl`, also
// the `baseURL` of page.goto), the dev IdP (`idpUrl`) and fresh browser contexts for more users
// (`newUserContext`). Every test is skipped, with the reason, when the suite or this project
// cannot run here (no Chromium, no PostgreSQL).
import {
  type Browser,
  type BrowserContext,
  test as base,
  expect,
  type Page,
  type TestInfo,
} from '@playwright/test';
import { type Database, SETUP_ENV, suiteSkipReason } from './environment.ts';

export interface E2eOptions {
  /** Which where2eat instance the project runs against (set per project in the config). */
  database: Database;
}

export interface E2eFixtures {
  /** This project's where2eat, e.g. `http://localhost:41234` (no trailing slash). */
  appUrl: string;
  /** The dev IdP's issuer, e.g. `http://localhost:40321`. */
  idpUrl: string;
  /**
   * A fresh context (its own cookies and storage: another signed-in user) with the project's
   * options and `baseURL`; closed after the test.
   */
  newUserContext: (browser: Browser) => Promise<BrowserContext>;
  /** Skips the test when the suite or this project cannot run here. */
  skipWhenUnavailable: undefined;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is unset: the global setup (e2e/global-setup.ts) sets it`);
  return value;
}

/** Skips the test when there is no browser, or no server for this project's database. */
function skipWhenUnavailable(database: Database, testInfo: TestInfo): void {
  const reason = suiteSkipReason() ?? process.env[SETUP_ENV.skip[database]];
  testInfo.skip(reason !== undefined, reason);
}

export const test = base.extend<E2eFixtures & E2eOptions>({
  database: ['pglite', { option: true }],
  // Playwright's own fixtures ask for baseURL, hence appUrl, first: both check.
  skipWhenUnavailable: [
    async ({ database }, use, testInfo) => {
      skipWhenUnavailable(database, testInfo);
      await use(undefined);
    },
    { auto: true },
  ],
  appUrl: async ({ database }, use, testInfo) => {
    skipWhenUnavailable(database, testInfo);
    await use(required(SETUP_ENV.appUrl[database]));
  },
  idpUrl: async ({ database }, use, testInfo) => {
    skipWhenUnavailable(database, testInfo);
    await use(required(SETUP_ENV.idpUrl));
  },
  baseURL: async ({ appUrl }, use) => {
    await use(appUrl);
  },
  newUserContext: async ({ appUrl, contextOptions }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (browser) => {
      const context = await browser.newContext({ ...contextOptions, baseURL: appUrl });
      contexts.push(context);
      return context;
    });
    await Promise.all(contexts.map((context) => context.close()));
  },
});

export { expect };

/**
 * Lets a context reach only `origins` (and `data:`/`blob:` URLs): every other request is
 * aborted and its URL recorded in the returned list, so a spec can assert it stays empty.
 */
export async function cutOffOtherOrigins(
  context: BrowserContext,
  origins: readonly string[],
): Promise<string[]> {
  const allowed = new Set(origins.map((o) => new URL(o).origin));
  const aborted: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (allowed.has(new URL(url).origin)) return route.fallback();
    aborted.push(url);
    return route.abort('blockedbyclient');
  });
  return aborted;
}

/** What a page reported: console errors, page errors and CSP violations, as they come. */
export interface PageProblems {
  errors: string[];
  cspViolations: string[];
}

/** Collects the page's console errors, uncaught errors and Content Security Policy reports. */
export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { errors: [], cspViolations: [] };
  page.on('console', (message) => {
    const text = message.text();
    if (text.includes('Content Security Policy')) problems.cspViolations.push(text);
    if (message.type() === 'error') problems.errors.push(text);
  });
  page.on('pageerror', (error) => problems.errors.push(`uncaught: ${error.message}`));
  return problems;
}
