import { configDefaults, defineProject } from "vitest/config";

const conditions = ["@rge/source", "module", "node", "development|production"];

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: "e2e",
    include: ["**/*.test.ts"],
    exclude: [...configDefaults.exclude, "**/dist/**"],
    testTimeout: 120_000,
  },
});
