import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The end-to-end tests run a fixture app with `node --import`, which loads the built package.
    globalSetup: ['./test/build-dist.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
