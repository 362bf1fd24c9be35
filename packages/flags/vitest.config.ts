import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The slow files (a real Unleash server, outage scenarios) mostly wait on timers and
    // sockets, not on the CPU: run them side by side even on a 2-core machine.
    maxWorkers: 3,
  },
});
