import { defineConfig } from 'vitest/config';

// One test file at a time; inside a file, src/chart.ts runs at most 2 helm processes.
export default defineConfig({
  test: {
    fileParallelism: false,
    maxConcurrency: 4,
    // Waiting for a helm slot counts against a test's time; the helm download against the hooks'.
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
