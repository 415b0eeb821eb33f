import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The end-to-end files mostly wait on timers and child processes, not the CPU.
    maxWorkers: 6,
    clearMocks: true,
    restoreMocks: true,
    unstubEnvs: true,
  },
});
