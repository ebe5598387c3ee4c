import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the `development`
// condition, so tests run against source with no build step first.
export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
