import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Makes .venv and finds a browser before any test needs them (a fresh clone's first run).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: keep workers bounded so moto, Chromium and esbuild do not starve each other.
    maxWorkers: 2,
  },
});
