import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "tests", "tests/gpu"],
    exclude: [...configDefaults.exclude, "**/dist/**"],
  },
});
