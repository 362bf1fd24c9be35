// The browser suite (e2e/): Chromium against the built where2eat, once per database. The
// global setup starts the dev IdP and both where2eat instances on free ports; see README.md,
// "Browser tests".
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, chooseChromium, DATABASES, isCi } from './e2e/environment.ts';
import type { E2eOptions } from './e2e/fixtures.ts';

const chromium = chooseChromium();
// Printed once, by the runner (workers load this file too).
if (process.env.TEST_WORKER_INDEX === undefined) {
  if (chromium.skipReason !== undefined) {
    if (isCi())
      throw new Error(`the browser suite needs Chromium under CI=true: ${chromium.skipReason}`);
    console.warn(`SKIPPED: the browser suite: ${chromium.skipReason}`);
  } else {
    console.warn(`browser suite: Chromium from ${chromium.source}`);
  }
}

export default defineConfig<E2eOptions>({
  testDir: './e2e',
  outputDir: './e2e-results',
  globalSetup: './e2e/global-setup.ts',
  // One browser at a time: CI runners and dev machines may have two cores, and both where2eat
  // instances and the IdP run beside it.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: isCi(),
  // Bounds for a slow machine, not verdicts: no assertion depends on speed.
  timeout: 120_000,
  globalTimeout: 30 * 60_000,
  expect: { timeout: 20_000 },
  reporter: [['list'], ['html', { outputFolder: './e2e-report', open: 'never' }]],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      ...(chromium.executablePath ? { executablePath: chromium.executablePath } : {}),
      args: CHROMIUM_ARGS,
    },
    screenshot: 'on',
    trace: 'retain-on-failure',
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
  },
  projects: DATABASES.map((database) => ({ name: database, use: { database } })),
});
