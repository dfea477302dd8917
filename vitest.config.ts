import { defineConfig } from "vitest/config";

// Tests import the public package names; they resolve to each package's built `dist/`
// (the test script runs `tsc -b` first), so tests exercise exactly what users install.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
