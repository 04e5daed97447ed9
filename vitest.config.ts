import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: keep workers bounded so moto, Chromium and esbuild do not starve each other.
    maxWorkers: 2,
  },
});
