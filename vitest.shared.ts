import { defineConfig } from 'vitest/config';

// scripts/workspace.mjs sets SOCKSPEC_TEST_REPORT so every package leaves a
// JSON report it can sum into one closing "N passed, N failed" line.
const report = process.env.SOCKSPEC_TEST_REPORT;

// Workspace packages export their TypeScript sources under the `development`
// condition, so tests run against source with no build step first.
export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
  },
});
