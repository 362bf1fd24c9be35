// What the browser suite needs from the machine, decided once from the environment: a Chromium
// and, for the `postgres` project, a PostgreSQL server. Read by playwright.config.ts (in the
// runner and in every worker), by the global setup and by the fixtures, so all three agree.
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/** Debian's and Ubuntu's Chromium, used when CHROMIUM_PATH is unset. */
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for Chromium in a container or CI runner: no sandbox (no user namespaces there), no GPU,
 * and none of the background traffic (component updates, sync, field trials) that a test run
 * neither needs nor may reach.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The two databases every spec runs against: one Playwright project each. */
export const DATABASES = ['pglite', 'postgres'] as const;
export type Database = (typeof DATABASES)[number];

/** Variables the global setup sets for the workers (they inherit the runner's environment). */
export const SETUP_ENV = {
  idpUrl: 'E2E_IDP_URL',
  appUrl: { pglite: 'E2E_APP_URL_PGLITE', postgres: 'E2E_APP_URL_POSTGRES' },
  skip: { pglite: 'E2E_SKIP_PGLITE', postgres: 'E2E_SKIP_POSTGRES' },
} as const;

export const isCi = (env: NodeJS.ProcessEnv = process.env): boolean => env.CI === 'true';

export type ChromiumChoice =
  | { executablePath: string | undefined; source: string; skipReason?: undefined }
  | { executablePath?: undefined; source?: undefined; skipReason: string };

/**
 * CHROMIUM_PATH when set (it must exist), else the system Chromium, else the browser Playwright
 * installed (`npx playwright install chromium`, as the GitHub job does).
 */
export function chooseChromium(env: NodeJS.ProcessEnv = process.env): ChromiumChoice {
  const explicit = env.CHROMIUM_PATH;
  if (explicit) {
    return existsSync(explicit)
      ? { executablePath: explicit, source: `CHROMIUM_PATH (${explicit})` }
      : { skipReason: `CHROMIUM_PATH is ${explicit}, which does not exist` };
  }
  if (existsSync(SYSTEM_CHROMIUM)) {
    return { executablePath: SYSTEM_CHROMIUM, source: SYSTEM_CHROMIUM };
  }
  const bundled = chromium.executablePath();
  if (bundled && existsSync(bundled)) {
    return { executablePath: undefined, source: `Playwright's Chromium (${bundled})` };
  }
  return {
    skipReason: `no Chromium: set CHROMIUM_PATH, install the system chromium (${SYSTEM_CHROMIUM}) or run npx playwright install chromium`,
  };
}

/** The PostgreSQL server the `postgres` project creates its database on. */
export function postgresServerUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.E2E_DATABASE_URL || env.DATABASE_URL || undefined;
}

/** Why nothing runs at all (no browser), or `undefined`. */
export function suiteSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return chooseChromium(env).skipReason;
}
