import { configDefaults, defineConfig } from 'vitest/config';

// e2e/ holds the browser suite: Playwright runs it (npm run test:e2e), not vitest.
export default defineConfig({
  test: { exclude: [...configDefaults.exclude, 'e2e/**'] },
});
