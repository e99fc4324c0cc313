import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["host-ts/test/**/*.test.ts", "interpreter-as/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores on CI: more workers only thrash.
    maxWorkers: 2,
  },
});
