import { join } from "node:path";
import { configDefaults, defineProject, type TestProjectInlineConfiguration } from "vitest/config";

// "@rge/source" resolves workspace packages to their TypeScript sources, so tests need no build.
const conditions = ["@rge/source", "module", "node", "development|production"];

/** The vitest project every workspace package uses: sources resolved through `@rge/source`, no dist. */
export function rgeProject(name: string, test: Partial<NonNullable<TestProjectInlineConfiguration["test"]>> = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: ["src/**/*.test.ts"],
      exclude: [...configDefaults.exclude, "**/dist/**"],
      testTimeout: 60_000,
      ...test,
      setupFiles: [join(import.meta.dirname, "vitest.loopback-only.ts"), ...[test.setupFiles ?? []].flat()],
    },
  });
}
