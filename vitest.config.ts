import { defineConfig } from "vitest/config";

// Minimal config for the image-preprocess branch; the main branch owns the real one.
export default defineConfig({
  test: { include: ["packages/**/src/**/*.test.ts"], exclude: ["**/node_modules/**", "**/dist/**"] },
  resolve: { conditions: ["@rge/source", "module", "node", "development|production"] },
  ssr: { resolve: { conditions: ["@rge/source", "module", "node", "development|production"] } },
});
