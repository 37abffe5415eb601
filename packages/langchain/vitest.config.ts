import { configDefaults, defineProject } from "vitest/config";

// "@rge/source" resolves workspace packages to their TypeScript sources, so tests need no build.
const conditions = ["@rge/source", "module", "node", "development|production"];

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: "langchain",
    include: ["src/**/*.test.ts"],
    exclude: [...configDefaults.exclude, "**/dist/**"],
    testTimeout: 60_000,
  },
});
