import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "tests", "tests/gpu", "tests/browser"],
    exclude: [...configDefaults.exclude, "**/dist/**"],
  },
});
